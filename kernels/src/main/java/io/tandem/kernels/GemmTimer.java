package io.tandem.kernels;

import java.util.SplittableRandom;

/** Times square float32 GEMM ({@code C = A B}, n x n x n) on any backend. */
public final class GemmTimer {
  private GemmTimer() {}

  /**
   * One measurement.
   *
   * @param n matrix size
   * @param reps timed repetitions
   * @param millis mean milliseconds per GEMM
   */
  public record Timing(int n, int reps, double millis) {
    /** Throughput in TFLOP/s (2 n^3 flops per GEMM). */
    public double tflops() {
      return 2.0 * n * n * n / (millis * 1e-3) / 1e12;
    }
  }

  /**
   * Runs {@code warmup} untimed GEMMs, then repeats until about {@code seconds} have passed
   * (at least 3, at most 100 times), synchronizing before reading the clock.
   */
  public static Timing time(Backend backend, int n, int warmup, double seconds) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be >= 1, got " + n);
    }
    long elements = (long) n * n;
    DeviceBuffer a = random(backend, elements, 1);
    DeviceBuffer b = random(backend, elements, 2);
    DeviceBuffer c = backend.allocate(elements);
    try {
      for (int i = 0; i < warmup; i++) {
        backend.gemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
      }
      backend.synchronize();
      long t0 = System.nanoTime();
      backend.gemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
      backend.synchronize();
      double first = (System.nanoTime() - t0) * 1e-9;
      int reps = (int) Math.max(3, Math.min(100, Math.ceil(seconds / Math.max(first, 1e-6))));
      t0 = System.nanoTime();
      for (int i = 0; i < reps; i++) {
        backend.gemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
      }
      backend.synchronize();
      double total = (System.nanoTime() - t0) * 1e-6;
      return new Timing(n, reps, total / reps);
    } finally {
      backend.free(a);
      backend.free(b);
      backend.free(c);
    }
  }

  private static DeviceBuffer random(Backend backend, long elements, long seed) {
    DeviceBuffer buf = backend.allocate(elements);
    SplittableRandom r = new SplittableRandom(seed);
    float[] chunk = new float[1 << 20];
    for (long done = 0; done < elements; done += chunk.length) {
      int len = (int) Math.min(chunk.length, elements - done);
      for (int i = 0; i < len; i++) {
        chunk[i] = (float) (r.nextDouble() * 2 - 1);
      }
      backend.upload(chunk, 0, buf, done, len);
    }
    return buf;
  }
}
