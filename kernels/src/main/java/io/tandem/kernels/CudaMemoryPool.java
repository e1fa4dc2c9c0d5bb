package io.tandem.kernels;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * Device memory blocks cached by size class, so training steps that allocate the same shapes
 * again reuse memory instead of calling {@code cuMemAlloc}/{@code cuMemFree} (which
 * synchronize the device). Classes are multiples of 256 bytes, and quarter steps between powers
 * of two above 1 KiB, so a block wastes less than 256 bytes or at most 25%. Not thread-safe:
 * its backend is used from one thread at a time.
 */
final class CudaMemoryPool {
  private final Map<Long, ArrayDeque<CUdeviceptr>> free = new HashMap<>();
  private final Runnable drain;
  private long cachedBytes;
  private long reservedBytes;

  /** {@code drain} waits until no queued work can touch a cached block (a stream sync). */
  CudaMemoryPool(Runnable drain) {
    this.drain = drain;
  }

  /** The size class a request of {@code bytes} is served from. */
  static long sizeClass(long bytes) {
    if (bytes <= 256) {
      return 256;
    }
    long pow = Long.highestOneBit(bytes - 1);  // largest power of two below bytes
    long step = Math.max(256, pow / 4);
    return (bytes + step - 1) / step * step;
  }

  /** A block of at least {@code bytes} (its size is {@link #sizeClass}). */
  CUdeviceptr acquire(long bytes) {
    long size = sizeClass(bytes);
    ArrayDeque<CUdeviceptr> q = free.get(size);
    if (q != null && !q.isEmpty()) {
      cachedBytes -= size;
      return q.pop();
    }
    CUdeviceptr ptr = new CUdeviceptr();
    int rc = JCudaDriver.cuMemAlloc(ptr, size);
    if (rc == CUresult.CUDA_ERROR_OUT_OF_MEMORY && cachedBytes > 0) {
      trim();
      rc = JCudaDriver.cuMemAlloc(ptr, size);
    }
    CudaDriverException.check(rc, "cuMemAlloc", size + " bytes, " + reservedBytes + " already reserved");
    reservedBytes += size;
    return ptr;
  }

  /** Returns a block obtained for {@code bytes} to the cache. */
  void release(CUdeviceptr ptr, long bytes) {
    long size = sizeClass(bytes);
    free.computeIfAbsent(size, s -> new ArrayDeque<>()).push(ptr);
    cachedBytes += size;
  }

  /** Frees every cached block, after draining queued work. */
  void trim() {
    if (free.isEmpty()) {
      return;
    }
    drain.run();
    for (Map.Entry<Long, ArrayDeque<CUdeviceptr>> e : free.entrySet()) {
      for (CUdeviceptr p : e.getValue()) {
        CudaDriverException.check(JCudaDriver.cuMemFree(p), "cuMemFree");
        reservedBytes -= e.getKey();
      }
    }
    free.clear();
    cachedBytes = 0;
  }

  /** Bytes held in the cache (freed by the user, not yet returned to the driver). */
  long cachedBytes() {
    return cachedBytes;
  }

  /** Bytes obtained from the driver and not yet freed (live plus cached). */
  long reservedBytes() {
    return reservedBytes;
  }
}
