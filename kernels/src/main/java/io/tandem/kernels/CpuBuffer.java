package io.tandem.kernels;

/** A {@link DeviceBuffer} of {@link CpuBackend}: a plain {@code float[]} borrowed from its pool. */
final class CpuBuffer implements DeviceBuffer {
  private final CpuBackend owner;
  private float[] data;

  CpuBuffer(CpuBackend owner, float[] data) {
    this.owner = owner;
    this.data = data;
  }

  @Override
  public long length() {
    return data == null ? 0 : data.length;
  }

  @Override
  public Backend backend() {
    return owner;
  }

  /** The backing array; throws if the buffer was freed. */
  float[] data() {
    float[] d = data;
    if (d == null) {
      throw new IllegalArgumentException("buffer was freed");
    }
    return d;
  }

  boolean isFreed() {
    return data == null;
  }

  /** Marks the buffer freed and hands its array back (for the pool). */
  float[] release() {
    float[] d = data();
    data = null;
    return d;
  }

  @Override
  public String toString() {
    return "CpuBuffer[" + (data == null ? "freed" : data.length + " floats") + "]";
  }
}
