// Softmax, causal softmax, softmax backward and softmax cross-entropy: one block per row.
#include "common.cuh"

TANDEM_KERNEL void softmax_f32(const float* x, float* y, int rows, int cols) {
  const int r = blockIdx.x;
  if (r >= rows) return;
  const float* xr = x + (long long)r * cols;
  float* yr = y + (long long)r * cols;
  float mx = -INFINITY;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) mx = fmaxf(mx, xr[c]);
  mx = block_max(mx);
  float s = 0.0f;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) s += expf(xr[c] - mx);
  const float inv = 1.0f / block_sum(s);
  for (int c = threadIdx.x; c < cols; c += blockDim.x) yr[c] = expf(xr[c] - mx) * inv;
}

// count T x T matrices back to back; row r is query t = r % T of matrix r / T. Entries s <= t
// get softmax(scale * scores), entries s > t get 0.
TANDEM_KERNEL void causal_softmax_f32(const float* scores, float* probs, int rows, int t,
                                      float scale) {
  const int r = blockIdx.x;
  if (r >= rows) return;
  const int q = r % t;
  const float* xr = scores + (long long)r * t;
  float* yr = probs + (long long)r * t;
  float mx = -INFINITY;
  for (int c = threadIdx.x; c <= q; c += blockDim.x) mx = fmaxf(mx, scale * xr[c]);
  mx = block_max(mx);
  float s = 0.0f;
  for (int c = threadIdx.x; c <= q; c += blockDim.x) s += expf(scale * xr[c] - mx);
  const float inv = 1.0f / block_sum(s);
  for (int c = threadIdx.x; c < t; c += blockDim.x) {
    yr[c] = c <= q ? expf(scale * xr[c] - mx) * inv : 0.0f;
  }
}

// dx = scale * y * (dy - sum_c(dy * y)).
TANDEM_KERNEL void softmax_backward_f32(const float* y, const float* dy, float* dx, int rows,
                                        int cols, float scale) {
  const int r = blockIdx.x;
  if (r >= rows) return;
  const long long base = (long long)r * cols;
  float s = 0.0f;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) s += dy[base + c] * y[base + c];
  const float dot = block_sum(s);
  for (int c = threadIdx.x; c < cols; c += blockDim.x) {
    dx[base + c] = scale * y[base + c] * (dy[base + c] - dot);
  }
}

// losses[r] = logsumexp(logits[r]) - logits[r][target]; dLogits = gradScale * (p - onehot).
// Target -1: loss 0 and gradient 0. A target outside [-1, vocab) yields NaN loss and
// gradient, so bad labels cannot train silently.
TANDEM_KERNEL void cross_entropy_f32(const float* logits, const int* targets, float* losses,
                                     float* dLogits, int rows, int vocab, float gradScale) {
  const int r = blockIdx.x;
  if (r >= rows) return;
  const long long base = (long long)r * vocab;
  const int target = targets[r];
  if (target == -1) {
    for (int c = threadIdx.x; c < vocab; c += blockDim.x) dLogits[base + c] = 0.0f;
    if (threadIdx.x == 0) losses[r] = 0.0f;
    return;
  }
  if (target < -1 || target >= vocab) {
    for (int c = threadIdx.x; c < vocab; c += blockDim.x) dLogits[base + c] = NAN;
    if (threadIdx.x == 0) losses[r] = NAN;
    return;
  }
  const float* xr = logits + base;
  float mx = -INFINITY;
  for (int c = threadIdx.x; c < vocab; c += blockDim.x) mx = fmaxf(mx, xr[c]);
  mx = block_max(mx);
  float s = 0.0f;
  for (int c = threadIdx.x; c < vocab; c += blockDim.x) s += expf(xr[c] - mx);
  const float sum = block_sum(s);
  const float inv = 1.0f / sum;
  for (int c = threadIdx.x; c < vocab; c += blockDim.x) {
    const float p = expf(xr[c] - mx) * inv;
    dLogits[base + c] = gradScale * (c == target ? p - 1.0f : p);
  }
  if (threadIdx.x == 0) losses[r] = logf(sum) + mx - xr[target];
}
