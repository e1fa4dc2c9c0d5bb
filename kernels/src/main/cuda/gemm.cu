// FP32 GEMM, row-major: C = alpha * op(A) * op(B) + beta * C, strided batched over blockIdx.z.
//
// Block tile 128 x 128, k-step 8, 256 threads; each thread computes an 8 x 8 micro-tile made
// of four 4 x 4 quadrants (rows ty*4 and 64 + ty*4, columns tx*4 and 64 + tx*4), so its
// shared-memory reads are conflict-free float4 loads. Tiles are staged k-major in shared
// memory (As[k][m], Bs[k][n]) with two buffers: the next tile is fetched into registers while
// the current one is multiplied. Global loads are scalar and bounds-checked, so any offset,
// leading dimension and size works; consecutive threads read consecutive addresses.
#include "common.cuh"

namespace sgemm {

constexpr int BM = 128;
constexpr int BN = 128;
constexpr int BK = 8;
constexpr int PAD = 4;  // keeps rows 16-byte aligned and the transposed stores conflict-free
constexpr int THREADS = 256;
constexpr int LOADS = BM * BK / THREADS;  // elements of A (and of B) each thread loads: 4

// Element (row, kk) of the tile of op(A) starting at (m0, k0), or 0 outside the matrix.
// Thread tid loads elements idx = tid + l * THREADS. Not transposed, A is m x k (contiguous
// along k): idx -> (row = idx / BK, kk = idx % BK). Transposed, A is stored k x m (contiguous
// along m): idx -> (kk = idx / BM, row = idx % BM).
template <bool TRANS_A>
__device__ __forceinline__ void load_a(const float* A, int lda, int m, int k, int m0, int k0,
                                       int tid, float (&reg)[LOADS]) {
#pragma unroll
  for (int l = 0; l < LOADS; ++l) {
    const int idx = tid + l * THREADS;
    const int row = TRANS_A ? idx % BM : idx / BK;
    const int kk = TRANS_A ? idx / BM : idx % BK;
    const int gm = m0 + row;
    const int gk = k0 + kk;
    float v = 0.0f;
    if (gm < m && gk < k) {
      v = TRANS_A ? A[(long long)gk * lda + gm] : A[(long long)gm * lda + gk];
    }
    reg[l] = v;
  }
}

template <bool TRANS_A>
__device__ __forceinline__ void store_a(float (*As)[BM + PAD], int tid, const float (&reg)[LOADS]) {
#pragma unroll
  for (int l = 0; l < LOADS; ++l) {
    const int idx = tid + l * THREADS;
    const int row = TRANS_A ? idx % BM : idx / BK;
    const int kk = TRANS_A ? idx / BM : idx % BK;
    As[kk][row] = reg[l];
  }
}

// Element (kk, col) of the tile of op(B) starting at (k0, n0). Not transposed, B is k x n
// (contiguous along n): idx -> (kk = idx / BN, col = idx % BN). Transposed, B is stored
// n x k (contiguous along k): idx -> (col = idx / BK, kk = idx % BK).
template <bool TRANS_B>
__device__ __forceinline__ void load_b(const float* B, int ldb, int n, int k, int n0, int k0,
                                       int tid, float (&reg)[LOADS]) {
#pragma unroll
  for (int l = 0; l < LOADS; ++l) {
    const int idx = tid + l * THREADS;
    const int col = TRANS_B ? idx / BK : idx % BN;
    const int kk = TRANS_B ? idx % BK : idx / BN;
    const int gn = n0 + col;
    const int gk = k0 + kk;
    float v = 0.0f;
    if (gn < n && gk < k) {
      v = TRANS_B ? B[(long long)gn * ldb + gk] : B[(long long)gk * ldb + gn];
    }
    reg[l] = v;
  }
}

template <bool TRANS_B>
__device__ __forceinline__ void store_b(float (*Bs)[BN + PAD], int tid, const float (&reg)[LOADS]) {
#pragma unroll
  for (int l = 0; l < LOADS; ++l) {
    const int idx = tid + l * THREADS;
    const int col = TRANS_B ? idx / BK : idx % BN;
    const int kk = TRANS_B ? idx % BK : idx / BN;
    Bs[kk][col] = reg[l];
  }
}

template <bool TRANS_A, bool TRANS_B>
__device__ __forceinline__ void gemm(int m, int n, int k, float alpha, const float* __restrict__ a,
                                     long long aOff, int lda, long long strideA,
                                     const float* __restrict__ b, long long bOff, int ldb,
                                     long long strideB, float beta, float* __restrict__ c,
                                     long long cOff, int ldc, long long strideC) {
  __shared__ __align__(16) float As[2][BK][BM + PAD];
  __shared__ __align__(16) float Bs[2][BK][BN + PAD];

  const int tid = threadIdx.x;
  const int tx = tid % 16;
  const int ty = tid / 16;
  const long long batch = blockIdx.z;
  const float* A = a + aOff + batch * strideA;
  const float* B = b + bOff + batch * strideB;
  float* C = c + cOff + batch * strideC;
  const int m0 = blockIdx.y * BM;
  const int n0 = blockIdx.x * BN;

  float acc[8][8];
#pragma unroll
  for (int i = 0; i < 8; ++i)
#pragma unroll
    for (int j = 0; j < 8; ++j) acc[i][j] = 0.0f;

  float ra[LOADS];
  float rb[LOADS];
  const int tiles = (k + BK - 1) / BK;
  if (tiles > 0) {
    load_a<TRANS_A>(A, lda, m, k, m0, 0, tid, ra);
    load_b<TRANS_B>(B, ldb, n, k, n0, 0, tid, rb);
    store_a<TRANS_A>(As[0], tid, ra);
    store_b<TRANS_B>(Bs[0], tid, rb);
  }
  __syncthreads();

  for (int t = 0; t < tiles; ++t) {
    const int cur = t & 1;
    const bool more = t + 1 < tiles;
    if (more) {
      load_a<TRANS_A>(A, lda, m, k, m0, (t + 1) * BK, tid, ra);
      load_b<TRANS_B>(B, ldb, n, k, n0, (t + 1) * BK, tid, rb);
    }
#pragma unroll
    for (int kk = 0; kk < BK; ++kk) {
      const float4 a0 = *reinterpret_cast<const float4*>(&As[cur][kk][ty * 4]);
      const float4 a1 = *reinterpret_cast<const float4*>(&As[cur][kk][64 + ty * 4]);
      const float4 b0 = *reinterpret_cast<const float4*>(&Bs[cur][kk][tx * 4]);
      const float4 b1 = *reinterpret_cast<const float4*>(&Bs[cur][kk][64 + tx * 4]);
      const float av[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
      const float bv[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
      for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
    }
    if (more) {
      // Buffer cur ^ 1 was last read in iteration t - 1, which every thread has left
      // (barrier at its end).
      store_a<TRANS_A>(As[cur ^ 1], tid, ra);
      store_b<TRANS_B>(Bs[cur ^ 1], tid, rb);
    }
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < 8; ++i) {
    const int row = m0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + (i - 4));
    if (row >= m) continue;
    float* crow = C + (long long)row * ldc;
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const int col = n0 + (j < 4 ? tx * 4 + j : 64 + tx * 4 + (j - 4));
      if (col >= n) continue;
      const float v = alpha * acc[i][j];
      crow[col] = beta == 0.0f ? v : fmaf(beta, crow[col], v);
    }
  }
}

}  // namespace sgemm

#define TANDEM_SGEMM(NAME, TA, TB)                                                             \
  TANDEM_KERNEL void __launch_bounds__(sgemm::THREADS, 2)                                       \
      NAME(int m, int n, int k, float alpha, const float* a, long long aOff, int lda,          \
           long long strideA, const float* b, long long bOff, int ldb, long long strideB,      \
           float beta, float* c, long long cOff, int ldc, long long strideC) {                 \
    sgemm::gemm<TA, TB>(m, n, k, alpha, a, aOff, lda, strideA, b, bOff, ldb, strideB, beta, c, \
                        cOff, ldc, strideC);                                                   \
  }

TANDEM_SGEMM(sgemm_nn, false, false)
TANDEM_SGEMM(sgemm_nt, false, true)
TANDEM_SGEMM(sgemm_tn, true, false)
TANDEM_SGEMM(sgemm_tt, true, true)
