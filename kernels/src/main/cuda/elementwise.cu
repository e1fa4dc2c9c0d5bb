// Elementwise ops, bias, GELU and the optimizer updates.
#include "common.cuh"

TANDEM_KERNEL void fill_f32(float* buf, long long n, float value) {
  GRID_STRIDE_LOOP(i, n) buf[i] = value;
}

TANDEM_KERNEL void copy_f32(const float* src, float* dst, long long n) {
  GRID_STRIDE_LOOP(i, n) dst[i] = src[i];
}

TANDEM_KERNEL void axpy_f32(long long n, float alpha, const float* x, float* y) {
  GRID_STRIDE_LOOP(i, n) y[i] = fmaf(alpha, x[i], y[i]);
}

TANDEM_KERNEL void add_f32(long long n, const float* a, const float* b, float* out) {
  GRID_STRIDE_LOOP(i, n) out[i] = a[i] + b[i];
}

TANDEM_KERNEL void scale_f32(long long n, float alpha, float* x) {
  GRID_STRIDE_LOOP(i, n) x[i] *= alpha;
}

// out[r][c] += bias[c] over a rows x cols matrix.
TANDEM_KERNEL void bias_add_f32(float* out, const float* bias, int rows, int cols) {
  const long long n = (long long)rows * cols;
  GRID_STRIDE_LOOP(i, n) out[i] += bias[i % cols];
}

// Column sums in two passes with a fixed partition, so the result does not depend on
// scheduling. Pass 1: partial[chunk][c] = sum of x[r][c] for r in the chunk, r increasing.
// Grid (ceil(cols / blockDim.x), chunks).
TANDEM_KERNEL void column_sum_partial_f32(const float* x, float* partial, int rows, int cols,
                                          int rowsPerChunk) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  const int chunk = blockIdx.y;
  if (c >= cols) return;
  const int r0 = chunk * rowsPerChunk;
  const int r1 = min(rows, r0 + rowsPerChunk);
  float s = 0.0f;
  for (int r = r0; r < r1; ++r) s += x[(long long)r * cols + c];
  partial[(long long)chunk * cols + c] = s;
}

// Pass 2: out[c] += sum over chunks (increasing) of partial[chunk][c].
TANDEM_KERNEL void column_sum_finish_f32(const float* partial, float* out, int chunks, int cols) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= cols) return;
  float s = 0.0f;
  for (int k = 0; k < chunks; ++k) s += partial[(long long)k * cols + c];
  out[c] += s;
}

// GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
#define GELU_K0 0.7978845608028654f
#define GELU_K1 0.044715f

TANDEM_KERNEL void gelu_f32(long long n, const float* x, float* y) {
  GRID_STRIDE_LOOP(i, n) {
    const float v = x[i];
    const float t = tanhf(GELU_K0 * (v + GELU_K1 * v * v * v));
    y[i] = 0.5f * v * (1.0f + t);
  }
}

TANDEM_KERNEL void gelu_backward_f32(long long n, const float* x, const float* dy, float* dx) {
  GRID_STRIDE_LOOP(i, n) {
    const float v = x[i];
    const float t = tanhf(GELU_K0 * (v + GELU_K1 * v * v * v));
    const float dinner = GELU_K0 * (1.0f + 3.0f * GELU_K1 * v * v);
    const float d = 0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * dinner;
    dx[i] = dy[i] * d;
  }
}

// AdamW with decoupled weight decay; the bias corrections 1 - beta^step come from the host.
TANDEM_KERNEL void adamw_f32(long long n, float* p, const float* g, float* m, float* v, float lr,
                             float beta1, float beta2, float eps, float weightDecay,
                             float biasCorrection1, float biasCorrection2) {
  GRID_STRIDE_LOOP(i, n) {
    float pi = p[i];
    const float gi = g[i];
    pi -= lr * weightDecay * pi;
    const float mi = beta1 * m[i] + (1.0f - beta1) * gi;
    const float vi = beta2 * v[i] + (1.0f - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    const float mhat = mi / biasCorrection1;
    const float vhat = vi / biasCorrection2;
    p[i] = pi - lr * mhat / (sqrtf(vhat) + eps);
  }
}

// SGD with momentum: vel = momentum * vel + grad + wd * p; p -= lr * vel.
TANDEM_KERNEL void sgd_f32(long long n, float* p, const float* g, float* vel, float lr,
                           float momentum, float weightDecay) {
  GRID_STRIDE_LOOP(i, n) {
    const float pi = p[i];
    const float u = momentum * vel[i] + g[i] + weightDecay * pi;
    vel[i] = u;
    p[i] = pi - lr * u;
  }
}
