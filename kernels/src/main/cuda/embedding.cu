// Embedding gather and its deterministic scatter-add.
#include "common.cuh"

// out[r] = table[ids[r]] for rows of width dim; an id outside [0, vocab) gives a NaN row.
TANDEM_KERNEL void embedding_forward_f32(const float* table, const int* ids, float* out, int rows,
                                         int dim, int vocab) {
  const long long n = (long long)rows * dim;
  GRID_STRIDE_LOOP(i, n) {
    const int r = (int)(i / dim);
    const int c = (int)(i - (long long)r * dim);
    const int id = ids[r];
    out[i] = (id >= 0 && id < vocab) ? table[(long long)id * dim + c] : NAN;
  }
}

// dTable[ids[r]] += dOut[r] with rows added in increasing order, as the CPU does, without
// atomics: block r works only if r is the first row holding its id; it then walks the later rows
// a tile of blockDim at a time, collects those with its id in order (warp ballots plus a prefix
// over the warps) and adds them, each thread owning whole columns of the table row. Cost:
// O(rows^2) id comparisons with no dim factor (the first-holder test and the tile scans) plus
// O(rows * dim) adds. Ids outside [0, vocab) are skipped. One block per row; blockDim is a
// multiple of 32, at most 1024.
TANDEM_KERNEL void embedding_backward_f32(const float* dOut, const int* ids, float* dTable,
                                          int rows, int dim, int vocab) {
  __shared__ int match[1024];
  __shared__ int warpBase[32];
  __shared__ int matches;
  const int r = blockIdx.x;
  if (r >= rows) return;
  const int id = ids[r];
  if (id < 0 || id >= vocab) return;
  int seenBefore = 0;
  for (int q = threadIdx.x; q < r; q += blockDim.x) seenBefore |= (ids[q] == id);
  if (__syncthreads_or(seenBefore)) return;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
  float* row = dTable + (long long)id * dim;
  for (int base = r; base < rows; base += blockDim.x) {
    const int q = base + threadIdx.x;
    const int hit = q < rows && ids[q] == id;
    const unsigned ballot = __ballot_sync(0xffffffffu, hit);
    if (lane == 0) warpBase[warp] = __popc(ballot);
    __syncthreads();
    if (threadIdx.x == 0) {
      int sum = 0;
      for (int w = 0; w < warps; ++w) {
        const int c = warpBase[w];
        warpBase[w] = sum;
        sum += c;
      }
      matches = sum;
    }
    __syncthreads();
    if (hit) match[warpBase[warp] + __popc(ballot & ((1u << lane) - 1u))] = q;
    __syncthreads();
    const int count = matches;
    if (count > 0) {
      for (int c = threadIdx.x; c < dim; c += blockDim.x) {
        float acc = row[c];
        for (int j = 0; j < count; ++j) acc += dOut[(long long)match[j] * dim + c];
        row[c] = acc;
      }
    }
    __syncthreads();  // the next tile rewrites match[], warpBase[] and matches
  }
}
