// Shared helpers for Tandem's CUDA kernels.
//
// Every kernel is extern "C" (unmangled names, loaded by name from Java) and takes only
// pointers, int (32-bit), long long (64-bit) and float arguments, so the Java side can check
// its launch arguments against the PTX signatures. Reductions use fixed trees and fixed
// partitions, so results are the same from run to run.
#ifndef TANDEM_COMMON_CUH
#define TANDEM_COMMON_CUH

#define TANDEM_KERNEL extern "C" __global__

// Elementwise kernels use grid-stride loops over 64-bit indices.
#define GRID_STRIDE_LOOP(i, n)                                                        \
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n);        \
       i += (long long)blockDim.x * gridDim.x)

// Sum over a block (blockDim.x a multiple of 32, at most 1024) in a fixed order: lanes by
// xor-shuffle, then warps through shared memory. Every thread gets the result. The block
// must call it uniformly; it synchronizes, so it may be called several times in a row.
__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__device__ __forceinline__ double warp_sum_d(double v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

__device__ __forceinline__ float block_sum(float v) {
  __shared__ float partial[32];
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  const int warps = blockDim.x >> 5;
  v = warp_sum(v);
  __syncthreads();  // partial[] may still be read by a previous call
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  float t = lane < warps ? partial[lane] : 0.0f;
  return warp_sum(t);
}

__device__ __forceinline__ double block_sum_d(double v) {
  __shared__ double partial_d[32];
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  const int warps = blockDim.x >> 5;
  v = warp_sum_d(v);
  __syncthreads();
  if (lane == 0) partial_d[warp] = v;
  __syncthreads();
  double t = lane < warps ? partial_d[lane] : 0.0;
  return warp_sum_d(t);
}

__device__ __forceinline__ float block_max(float v) {
  __shared__ float partial_m[32];
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  const int warps = blockDim.x >> 5;
  v = warp_max(v);
  __syncthreads();
  if (lane == 0) partial_m[warp] = v;
  __syncthreads();
  float t = lane < warps ? partial_m[lane] : -INFINITY;
  return warp_max(t);
}

#endif  // TANDEM_COMMON_CUH
