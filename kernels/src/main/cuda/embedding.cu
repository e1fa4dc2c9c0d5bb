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
// atomics: block r works only if r is the first row holding its id, and then adds every row
// with that id, in order. Ids outside [0, vocab) are skipped. One block per row. The cost is
// O(rows^2) id comparisons (cheap, cached) plus O(rows * dim) adds: fine for the byte-level
// vocabularies and the few thousand rows per microbatch Tandem's models use; a sort by id would
// be needed for hundreds of thousands of rows.
TANDEM_KERNEL void embedding_backward_f32(const float* dOut, const int* ids, float* dTable,
                                          int rows, int dim, int vocab) {
  const int r = blockIdx.x;
  if (r >= rows) return;
  const int id = ids[r];
  if (id < 0 || id >= vocab) return;
  int seenBefore = 0;
  for (int q = threadIdx.x; q < r; q += blockDim.x) seenBefore |= (ids[q] == id);
  if (__syncthreads_or(seenBefore)) return;
  for (int c = threadIdx.x; c < dim; c += blockDim.x) {
    float acc = dTable[(long long)id * dim + c];
    for (int q = r; q < rows; ++q) {
      if (ids[q] == id) acc += dOut[(long long)q * dim + c];
    }
    dTable[(long long)id * dim + c] = acc;
  }
}
