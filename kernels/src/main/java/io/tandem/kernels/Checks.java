package io.tandem.kernels;

/**
 * Argument checks shared by backends whose memory the host cannot read cheaply: every range is
 * checked on the host before a kernel is queued. Failures are {@link IllegalArgumentException}s
 * naming the operand.
 */
final class Checks {
  private Checks() {}

  /** {@code [offset, offset + n)} lies inside {@code length} elements. */
  static void range(long length, long offset, long n, String what) {
    if (offset < 0 || n < 0 || offset > length - n) {
      throw new IllegalArgumentException(what + " range [" + offset + ", +" + n + ") outside buffer of "
          + length);
    }
  }

  /** A host array slice. */
  static void host(int arrayLength, int offset, int n, String what) {
    if (offset < 0 || n < 0 || offset > arrayLength - n) {
      throw new IllegalArgumentException(what + " range [" + offset + ", +" + n + ") outside array of "
          + arrayLength);
    }
  }

  /** {@code n >= 0} and {@code n} elements fit in each length. */
  static void count(long n, String what, long... lengths) {
    if (n < 0) {
      throw new IllegalArgumentException(what + ": n must be >= 0, got " + n);
    }
    for (long len : lengths) {
      if (len < n) {
        throw new IllegalArgumentException(what + ": n = " + n + " exceeds a buffer of " + len);
      }
    }
  }

  /** Non-negative sizes. */
  static void sizes(String what, int... dims) {
    for (int d : dims) {
      if (d < 0) {
        throw new IllegalArgumentException(what + ": sizes must be >= 0, got " + d);
      }
    }
  }

  /** A dense rows x cols matrix fits in {@code length}. */
  static void dense(long length, long rows, long cols, String what) {
    if (rows < 0 || cols < 0 || rows * cols > length) {
      throw new IllegalArgumentException(what + " needs " + rows + " x " + cols + " floats, buffer holds "
          + length);
    }
  }

  /**
   * A row-major rows x cols matrix at {@code offset} with leading dimension {@code ld}, repeated
   * {@code batch} times every {@code stride} elements, lies inside {@code length}.
   */
  static void matrix(long length, long offset, int ld, int rows, int cols, long stride, int batch,
      String what) {
    if (rows < 0 || cols < 0 || batch < 0) {
      throw new IllegalArgumentException(what + ": negative size");
    }
    if (rows == 0 || cols == 0 || batch == 0) {
      return;
    }
    if (ld < cols) {
      throw new IllegalArgumentException(what + ": leading dimension " + ld + " < " + cols + " columns");
    }
    if (offset < 0 || stride < 0) {
      throw new IllegalArgumentException(what + ": negative offset or stride");
    }
    long last = offset + (batch - 1L) * stride + (rows - 1L) * ld + cols;
    if (last > length) {
      throw new IllegalArgumentException(what + ": " + rows + " x " + cols + " (ld " + ld + ", offset "
          + offset + (batch > 1 ? ", " + batch + " every " + stride : "") + ") ends at " + last
          + ", buffer holds " + length);
    }
  }
}
