// LayerNorm over the columns of a rows x cols matrix: one block per row.
#include "common.cuh"

// y = (x - mean) * rstd * gamma + beta; mean and rstd = 1/sqrt(var + eps) saved per row.
// The variance is the mean of squared deviations (second pass over the row).
TANDEM_KERNEL void layernorm_f32(const float* x, const float* gamma, const float* beta, float* y,
                                 float* mean, float* rstd, int rows, int cols, float eps) {
  const int r = blockIdx.x;
  if (r >= rows) return;
  const float* xr = x + (long long)r * cols;
  float* yr = y + (long long)r * cols;
  float s = 0.0f;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) s += xr[c];
  const float mu = block_sum(s) / cols;
  float q = 0.0f;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) {
    const float d = xr[c] - mu;
    q += d * d;
  }
  const float var = block_sum(q) / cols;
  const float rs = rsqrtf(var + eps);
  for (int c = threadIdx.x; c < cols; c += blockDim.x) {
    yr[c] = (xr[c] - mu) * rs * gamma[c] + beta[c];
  }
  if (threadIdx.x == 0) {
    mean[r] = mu;
    rstd[r] = rs;
  }
}

// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * gamma, xhat = (x - mean) * rstd.
TANDEM_KERNEL void layernorm_backward_input_f32(const float* dy, const float* x, const float* gamma,
                                                const float* mean, const float* rstd, float* dx,
                                                int rows, int cols) {
  const int r = blockIdx.x;
  if (r >= rows) return;
  const long long base = (long long)r * cols;
  const float mu = mean[r];
  const float rs = rstd[r];
  float sg = 0.0f;
  float sgx = 0.0f;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) {
    const float g = dy[base + c] * gamma[c];
    const float xhat = (x[base + c] - mu) * rs;
    sg += g;
    sgx += g * xhat;
  }
  const float meanG = block_sum(sg) / cols;
  const float meanGx = block_sum(sgx) / cols;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) {
    const float g = dy[base + c] * gamma[c];
    const float xhat = (x[base + c] - mu) * rs;
    dx[base + c] = rs * (g - meanG - xhat * meanGx);
  }
}

// Weight gradients, pass 1 over a fixed row partition: per chunk and column,
// partialGamma = sum dy * xhat and partialBeta = sum dy (rows increasing).
// Grid (ceil(cols / blockDim.x), chunks).
TANDEM_KERNEL void layernorm_backward_weight_partial_f32(const float* dy, const float* x,
                                                         const float* mean, const float* rstd,
                                                         float* partialGamma, float* partialBeta,
                                                         int rows, int cols, int rowsPerChunk) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  const int chunk = blockIdx.y;
  if (c >= cols) return;
  const int r0 = chunk * rowsPerChunk;
  const int r1 = min(rows, r0 + rowsPerChunk);
  float sgam = 0.0f;
  float sbet = 0.0f;
  for (int r = r0; r < r1; ++r) {
    const long long i = (long long)r * cols + c;
    const float d = dy[i];
    sgam += d * ((x[i] - mean[r]) * rstd[r]);
    sbet += d;
  }
  partialGamma[(long long)chunk * cols + c] = sgam;
  partialBeta[(long long)chunk * cols + c] = sbet;
}
