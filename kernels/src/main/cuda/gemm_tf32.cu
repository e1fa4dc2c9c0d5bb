// TF32 tensor-core GEMM (mma.sync m16n8k8, FP32 accumulate), same contract as gemm.cu:
// C = alpha * op(A) * op(B) + beta * C, row-major, strided batched over blockIdx.z.
// Inputs are rounded to TF32 (10-bit mantissa), so results differ from FP32 by about 1e-3
// relative; it is the fast variant, selected explicitly.
//
// Block tile 128 x 128, k-step 16, 256 threads = 8 warps in a 2 (m) x 4 (n) grid; each warp
// owns 64 x 32 of C as 4 x 4 mma tiles. Shared tiles are k-major (As[k][m], Bs[k][n]) with a
// row pitch of 136 words, which makes the fragment reads conflict-free, and double-buffered
// through registers as in gemm.cu. Values are converted to TF32 once, when stored.
//
// Fragment layout of mma.m16n8k8 (PTX ISA), lane = 4 * group + tig:
//   A (16 x 8, row): a0 (group, tig), a1 (group + 8, tig), a2 (group, tig + 4), a3 (group + 8, tig + 4)
//   B (8 x 8, col):  b0 (k = tig, n = group), b1 (k = tig + 4, n = group)
//   C (16 x 8):      c[q] at (group + 8 * (q / 2), 2 * tig + q % 2)
#include "common.cuh"

namespace tf32gemm {

constexpr int BM = 128;
constexpr int BN = 128;
constexpr int BK = 16;
constexpr int PITCH_M = BM + 8;
constexpr int PITCH_N = BN + 8;
constexpr int THREADS = 256;
constexpr int LOADS = BM * BK / THREADS;  // 8

#ifndef TANDEM_HOST_EMULATION
__device__ __forceinline__ unsigned to_tf32(float x) {
  unsigned r;
  asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
  return r;
}

__device__ __forceinline__ void mma(float (&d)[4], const unsigned (&a)[4], const unsigned (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
      "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
#else
// Host emulation of these two instructions (kernels/src/test/cuda/emulate.cpp).
unsigned to_tf32(float x);
void mma(float (&d)[4], const unsigned (&a)[4], const unsigned (&b)[2]);
#endif

// Index maps as in gemm.cu: consecutive threads follow the contiguous dimension.
template <bool TRANS_A>
__device__ __forceinline__ void a_coord(int idx, int& row, int& kk) {
  row = TRANS_A ? idx % BM : idx / BK;
  kk = TRANS_A ? idx / BM : idx % BK;
}

template <bool TRANS_B>
__device__ __forceinline__ void b_coord(int idx, int& col, int& kk) {
  col = TRANS_B ? idx / BK : idx % BN;
  kk = TRANS_B ? idx % BK : idx / BN;
}

template <bool TRANS_A>
__device__ __forceinline__ void load_a(const float* A, int lda, int m, int k, int m0, int k0,
                                       int tid, float (&reg)[LOADS]) {
#pragma unroll
  for (int l = 0; l < LOADS; ++l) {
    int row, kk;
    a_coord<TRANS_A>(tid + l * THREADS, row, kk);
    const int gm = m0 + row;
    const int gk = k0 + kk;
    float v = 0.0f;
    if (gm < m && gk < k) v = TRANS_A ? A[(long long)gk * lda + gm] : A[(long long)gm * lda + gk];
    reg[l] = v;
  }
}

template <bool TRANS_B>
__device__ __forceinline__ void load_b(const float* B, int ldb, int n, int k, int n0, int k0,
                                       int tid, float (&reg)[LOADS]) {
#pragma unroll
  for (int l = 0; l < LOADS; ++l) {
    int col, kk;
    b_coord<TRANS_B>(tid + l * THREADS, col, kk);
    const int gn = n0 + col;
    const int gk = k0 + kk;
    float v = 0.0f;
    if (gn < n && gk < k) v = TRANS_B ? B[(long long)gn * ldb + gk] : B[(long long)gk * ldb + gn];
    reg[l] = v;
  }
}

template <bool TRANS_A>
__device__ __forceinline__ void store_a(unsigned (*As)[PITCH_M], int tid, const float (&reg)[LOADS]) {
#pragma unroll
  for (int l = 0; l < LOADS; ++l) {
    int row, kk;
    a_coord<TRANS_A>(tid + l * THREADS, row, kk);
    As[kk][row] = to_tf32(reg[l]);
  }
}

template <bool TRANS_B>
__device__ __forceinline__ void store_b(unsigned (*Bs)[PITCH_N], int tid, const float (&reg)[LOADS]) {
#pragma unroll
  for (int l = 0; l < LOADS; ++l) {
    int col, kk;
    b_coord<TRANS_B>(tid + l * THREADS, col, kk);
    Bs[kk][col] = to_tf32(reg[l]);
  }
}

template <bool TRANS_A, bool TRANS_B>
__device__ __forceinline__ void gemm(int m, int n, int k, float alpha, const float* __restrict__ a,
                                     long long aOff, int lda, long long strideA,
                                     const float* __restrict__ b, long long bOff, int ldb,
                                     long long strideB, float beta, float* __restrict__ c,
                                     long long cOff, int ldc, long long strideC) {
  __shared__ __align__(16) unsigned As[2][BK][PITCH_M];
  __shared__ __align__(16) unsigned Bs[2][BK][PITCH_N];

  const int tid = threadIdx.x;
  const int lane = tid & 31;
  const int warp = tid >> 5;
  const int group = lane >> 2;
  const int tig = lane & 3;
  const int wm = (warp >> 2) * 64;  // warp's row offset in the block tile
  const int wn = (warp & 3) * 32;   // warp's column offset
  const long long batch = blockIdx.z;
  const float* A = a + aOff + batch * strideA;
  const float* B = b + bOff + batch * strideB;
  float* C = c + cOff + batch * strideC;
  const int m0 = blockIdx.y * BM;
  const int n0 = blockIdx.x * BN;

  float acc[4][4][4];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j)
#pragma unroll
      for (int q = 0; q < 4; ++q) acc[i][j][q] = 0.0f;

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
    for (int ks = 0; ks < BK; ks += 8) {
      unsigned fa[4][4];
      unsigned fb[4][2];
#pragma unroll
      for (int mi = 0; mi < 4; ++mi) {
        const int r = wm + mi * 16 + group;
        fa[mi][0] = As[cur][ks + tig][r];
        fa[mi][1] = As[cur][ks + tig][r + 8];
        fa[mi][2] = As[cur][ks + tig + 4][r];
        fa[mi][3] = As[cur][ks + tig + 4][r + 8];
      }
#pragma unroll
      for (int ni = 0; ni < 4; ++ni) {
        const int col = wn + ni * 8 + group;
        fb[ni][0] = Bs[cur][ks + tig][col];
        fb[ni][1] = Bs[cur][ks + tig + 4][col];
      }
#pragma unroll
      for (int mi = 0; mi < 4; ++mi)
#pragma unroll
        for (int ni = 0; ni < 4; ++ni) mma(acc[mi][ni], fa[mi], fb[ni]);
    }
    if (more) {
      store_a<TRANS_A>(As[cur ^ 1], tid, ra);
      store_b<TRANS_B>(Bs[cur ^ 1], tid, rb);
    }
    __syncthreads();
  }

#pragma unroll
  for (int mi = 0; mi < 4; ++mi)
#pragma unroll
    for (int ni = 0; ni < 4; ++ni)
#pragma unroll
      for (int q = 0; q < 4; ++q) {
        const int row = m0 + wm + mi * 16 + group + (q >> 1) * 8;
        const int col = n0 + wn + ni * 8 + tig * 2 + (q & 1);
        if (row < m && col < n) {
          float* p = C + (long long)row * ldc + col;
          const float v = alpha * acc[mi][ni][q];
          *p = beta == 0.0f ? v : fmaf(beta, *p, v);
        }
      }
}

}  // namespace tf32gemm

#define TANDEM_TF32GEMM(NAME, TA, TB)                                                           \
  TANDEM_KERNEL void __launch_bounds__(tf32gemm::THREADS, 2)                                    \
      NAME(int m, int n, int k, float alpha, const float* a, long long aOff, int lda,           \
           long long strideA, const float* b, long long bOff, int ldb, long long strideB,       \
           float beta, float* c, long long cOff, int ldc, long long strideC) {                  \
    tf32gemm::gemm<TA, TB>(m, n, k, alpha, a, aOff, lda, strideA, b, bOff, ldb, strideB, beta, \
                           c, cOff, ldc, strideC);                                              \
  }

TANDEM_TF32GEMM(tf32gemm_nn, false, false)
TANDEM_TF32GEMM(tf32gemm_nt, false, true)
TANDEM_TF32GEMM(tf32gemm_tn, true, false)
TANDEM_TF32GEMM(tf32gemm_tt, true, true)
