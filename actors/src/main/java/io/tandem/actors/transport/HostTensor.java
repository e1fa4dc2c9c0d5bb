package io.tandem.actors.transport;

import java.util.Arrays;

/**
 * A tensor in host memory as it travels between stage workers: an activation going up the
 * pipeline or an input gradient coming down. In one JVM it is passed by reference and never
 * mutated after it is sent.
 */
public record HostTensor(int[] shape, float[] data) {
  public HostTensor {
    long n = 1;
    for (int d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      n *= d;
    }
    if (n != data.length) {
      throw new IllegalArgumentException(
          "tensor of shape " + Arrays.toString(shape) + " needs " + n + " values, got " + data.length);
    }
  }

  public int elements() {
    return data.length;
  }

  public long bytes() {
    return 4L * data.length;
  }

  public String shapeString() {
    return Arrays.toString(shape);
  }

  /** Throws an IllegalArgumentException naming {@code what} unless the shape is {@code expected}. */
  public void requireShape(String what, int... expected) {
    if (!Arrays.equals(shape, expected)) {
      throw new IllegalArgumentException(
          what + ": expected shape " + Arrays.toString(expected) + ", got " + Arrays.toString(shape));
    }
  }
}
