package io.tandem.kernels;

/** A {@link DeviceIntBuffer} of {@link CpuBackend}: a plain {@code int[]} borrowed from its pool. */
final class CpuIntBuffer implements DeviceIntBuffer {
  private final CpuBackend owner;
  private int[] data;

  CpuIntBuffer(CpuBackend owner, int[] data) {
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
  int[] data() {
    int[] d = data;
    if (d == null) {
      throw new IllegalArgumentException("int buffer was freed");
    }
    return d;
  }

  /** Marks the buffer freed and hands its array back (for the pool). */
  int[] release() {
    int[] d = data();
    data = null;
    return d;
  }

  @Override
  public String toString() {
    return "CpuIntBuffer[" + (data == null ? "freed" : data.length + " ints") + "]";
  }
}
