package io.tandem.kernels;

import jcuda.driver.CUdeviceptr;

/** A float32 buffer in GPU memory, owned by one {@link CudaBackend}. */
final class CudaBuffer implements DeviceBuffer {
  private final CudaBackend owner;
  private final long length;
  private CUdeviceptr ptr;

  CudaBuffer(CudaBackend owner, CUdeviceptr ptr, long length) {
    this.owner = owner;
    this.ptr = ptr;
    this.length = length;
  }

  @Override
  public long length() {
    return length;
  }

  @Override
  public Backend backend() {
    return owner;
  }

  boolean isFreed() {
    return ptr == null;
  }

  /** The device pointer; throws if the buffer was freed. */
  CUdeviceptr ptr() {
    if (ptr == null) {
      throw new IllegalArgumentException("buffer used after free");
    }
    return ptr;
  }

  /** Marks the buffer freed and hands back its block. */
  CUdeviceptr release() {
    CUdeviceptr p = ptr();
    ptr = null;
    return p;
  }

  @Override
  public String toString() {
    return "CudaBuffer[" + length + (ptr == null ? ", freed]" : "]");
  }
}
