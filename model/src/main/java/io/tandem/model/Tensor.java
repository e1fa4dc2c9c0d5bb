package io.tandem.model;

import io.tandem.kernels.Backend;
import io.tandem.kernels.DeviceBuffer;

/**
 * A row-major float32 matrix ({@code rows x cols}) in one backend's memory, reference counted.
 *
 * <p>A tensor starts with one reference, owned by whoever created it. A layer that keeps a
 * tensor it was given (to stash it for a backward pass) calls {@link #retain()} and later
 * {@link #release()}; the buffer goes back to the backend when the last reference is released.
 * Like the backend itself, a tensor is used from one thread at a time.
 */
public final class Tensor {
  private final Backend backend;
  private final DeviceBuffer buffer;
  private final int rows;
  private final int cols;
  private int refs = 1;

  private Tensor(Backend backend, DeviceBuffer buffer, int rows, int cols) {
    this.backend = backend;
    this.buffer = buffer;
    this.rows = rows;
    this.cols = cols;
  }

  /** A zero-filled {@code rows x cols} tensor. */
  public static Tensor zeros(Backend backend, int rows, int cols) {
    if (rows < 0 || cols < 0) {
      throw new IllegalArgumentException("negative shape " + rows + "x" + cols);
    }
    return new Tensor(backend, backend.allocate((long) rows * cols), rows, cols);
  }

  /** A tensor holding {@code data} (row-major, {@code rows * cols} floats). */
  public static Tensor of(Backend backend, float[] data, int rows, int cols) {
    if (data.length != (long) rows * cols) {
      throw new IllegalArgumentException(
          "data has " + data.length + " floats, shape " + rows + "x" + cols + " needs " + (long) rows * cols);
    }
    Tensor t = zeros(backend, rows, cols);
    backend.upload(data, 0, t.buffer, 0, data.length);
    return t;
  }

  /** Copies the contents to a new host array. */
  public float[] toArray() {
    checkLive();
    float[] out = new float[Math.toIntExact(elements())];
    backend.download(buffer, 0, out, 0, out.length);
    return out;
  }

  /** Adds a reference; returns this tensor. */
  public Tensor retain() {
    checkLive();
    refs++;
    return this;
  }

  /** Drops a reference; the last one frees the buffer. */
  public void release() {
    checkLive();
    if (--refs == 0) {
      backend.free(buffer);
    }
  }

  /** Whether any reference is left. */
  public boolean isLive() {
    return refs > 0;
  }

  public DeviceBuffer buffer() {
    checkLive();
    return buffer;
  }

  public Backend backend() {
    return backend;
  }

  public int rows() {
    return rows;
  }

  public int cols() {
    return cols;
  }

  public long elements() {
    return (long) rows * cols;
  }

  public long bytes() {
    return elements() * Float.BYTES;
  }

  private void checkLive() {
    if (refs <= 0) {
      throw new IllegalStateException("tensor " + rows + "x" + cols + " used after its last release");
    }
  }

  @Override
  public String toString() {
    return "Tensor[" + rows + "x" + cols + ", refs=" + refs + "]";
  }
}
