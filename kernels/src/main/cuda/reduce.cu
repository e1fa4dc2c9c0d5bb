// Sum of squares in double, in two passes with a fixed partition (deterministic).
#include "common.cuh"

// Pass 1: partial[b] = sum over the grid-stride slice of block b of x[i]^2 (in double);
// the number of blocks is chosen by the host from n only.
TANDEM_KERNEL void sum_squares_partial_f32(const float* x, long long n, double* partial) {
  double s = 0.0;
  GRID_STRIDE_LOOP(i, n) {
    const double v = x[i];
    s += v * v;
  }
  s = block_sum_d(s);
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

// Pass 2 (one block): out[0] = sum of partial[0 .. count).
TANDEM_KERNEL void sum_partials_f64(const double* partial, int count, double* out) {
  double s = 0.0;
  for (int i = threadIdx.x; i < count; i += blockDim.x) s += partial[i];
  s = block_sum_d(s);
  if (threadIdx.x == 0) out[0] = s;
}
