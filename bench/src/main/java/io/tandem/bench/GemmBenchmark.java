package io.tandem.bench;

import io.tandem.kernels.CpuBackend;
import io.tandem.kernels.DeviceBuffer;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.ejml.concurrency.EjmlConcurrency;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;
import org.ejml.dense.row.CommonOps_MT_FDRM;

/**
 * Float32 {@code C = A * B} throughput (n x n x n) of {@link CpuBackend} next to EJML
 * ({@code CommonOps_FDRM.mult}, or {@code CommonOps_MT_FDRM.mult} with the same thread count
 * when {@code threads > 1}), measured in one run on the same inputs.
 *
 * <p>Protocol per library: warm up (the Vector API is very slow until C2 compiles it) for at
 * least {@code warmupSeconds}, then time single products until {@code measureSeconds} have
 * passed (at least 3), and report the median and the best run. On a shared machine the wall
 * clock numbers drop with the load, so the process CPU time of the timed runs is recorded too:
 * {@code flops / cpu-seconds} is throughput per busy core, which load hardly changes. The two
 * results are also compared element-wise so a fast wrong kernel cannot pass unnoticed.
 */
public final class GemmBenchmark {

  /** What to measure. */
  public record Options(int size, int threads, double warmupSeconds, double measureSeconds) {
    public Options {
      if (size < 1) {
        throw new IllegalArgumentException("--size must be >= 1, got " + size);
      }
      if (threads < 1) {
        throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
      }
      if (warmupSeconds < 0 || measureSeconds <= 0) {
        throw new IllegalArgumentException("warm-up must be >= 0 and measurement > 0 seconds");
      }
    }

    /** Defaults: 2 s warm-up, 3 s measurement. */
    public static Options of(int size, int threads) {
      return new Options(size, threads, 2.0, 3.0);
    }
  }

  /**
   * Measured throughput.
   *
   * @param kernels the CPU backend's kernel path ({@code VECTOR} or {@code SCALAR})
   * @param tandemGflops median GFLOP/s of {@link CpuBackend#gemm}
   * @param ejmlGflops median GFLOP/s of EJML
   * @param tandemBestGflops GFLOP/s of the fastest timed product of the CPU backend
   * @param ejmlBestGflops GFLOP/s of the fastest timed product of EJML
   * @param tandemCoreGflops CPU backend GFLOP per CPU-second of this process (per busy core)
   * @param ejmlCoreGflops EJML GFLOP per CPU-second of this process (per busy core)
   * @param tandemRuns timed products of the CPU backend
   * @param ejmlRuns timed products of EJML
   * @param maxRelativeDifference largest |tandem - ejml| / max|ejml| over C
   */
  public record Result(int size, int threads, String kernels, double tandemGflops,
      double ejmlGflops, double tandemBestGflops, double ejmlBestGflops, double tandemCoreGflops,
      double ejmlCoreGflops, int tandemRuns, int ejmlRuns, double maxRelativeDifference) {

    public double speedup() {
      return tandemGflops / ejmlGflops;
    }

    /** One JSON object; keys {@code tandemGflops} and {@code ejmlGflops} are stable. */
    public String toJson() {
      return String.format(Locale.ROOT,
          "{\"size\":%d,\"threads\":%d,\"path\":\"%s\",\"tandemGflops\":%.2f,"
              + "\"ejmlGflops\":%.2f,\"speedup\":%.2f,\"tandemBestGflops\":%.2f,"
              + "\"ejmlBestGflops\":%.2f,\"tandemCoreGflops\":%.2f,\"ejmlCoreGflops\":%.2f,"
              + "\"tandemRuns\":%d,\"ejmlRuns\":%d,\"maxRelativeDifference\":%.3g}",
          size, threads, kernels, tandemGflops, ejmlGflops, speedup(), tandemBestGflops,
          ejmlBestGflops, tandemCoreGflops, ejmlCoreGflops, tandemRuns, ejmlRuns,
          maxRelativeDifference);
    }

    /** A few human-readable lines. */
    public String toText() {
      return String.format(Locale.ROOT,
          "gemm %d x %d x %d float32, %d thread(s); GFLOP/s median / best, and per busy core%n"
              + "  tandem (CpuBackend, %s kernels) %8.2f / %8.2f  (%d runs)  %6.2f per core%n"
              + "  ejml   (%s)      %8.2f / %8.2f  (%d runs)  %6.2f per core%n"
              + "  speedup %.1fx (medians), max relative difference %.2g%n",
          size, size, size, threads, kernels.toLowerCase(Locale.ROOT), tandemGflops,
          tandemBestGflops, tandemRuns, tandemCoreGflops,
          threads > 1 ? "CommonOps_MT_FDRM" : "CommonOps_FDRM", ejmlGflops, ejmlBestGflops,
          ejmlRuns, ejmlCoreGflops, speedup(), maxRelativeDifference);
    }
  }

  private GemmBenchmark() {}

  /** Runs the benchmark (takes about 2 x (warm-up + measurement) seconds). */
  public static Result run(Options o) {
    int n = o.size();
    SplittableRandom rnd = new SplittableRandom(42);
    float[] a = new float[n * n];
    float[] b = new float[n * n];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) (rnd.nextDouble() * 2 - 1);
      b[i] = (float) (rnd.nextDouble() * 2 - 1);
    }
    double flops = 2.0 * n * n * n;

    float[] tandemC = new float[n * n];
    Timing tandem;
    String kernels;
    try (CpuBackend be = CpuBackend.create(o.threads())) {
      kernels = be.kernels().name();
      DeviceBuffer da = be.allocate((long) n * n);
      DeviceBuffer db = be.allocate((long) n * n);
      DeviceBuffer dc = be.allocate((long) n * n);
      be.upload(a, 0, da, 0, a.length);
      be.upload(b, 0, db, 0, b.length);
      tandem = time(o, () -> be.gemm(false, false, n, n, n, 1f, da, 0, n, db, 0, n, 0f, dc, 0, n));
      be.download(dc, 0, tandemC, 0, tandemC.length);
    }

    FMatrixRMaj ma = FMatrixRMaj.wrap(n, n, a);
    FMatrixRMaj mb = FMatrixRMaj.wrap(n, n, b);
    FMatrixRMaj mc = new FMatrixRMaj(n, n);
    Timing ejml;
    if (o.threads() > 1) {
      EjmlConcurrency.setMaxThreads(o.threads());
      ejml = time(o, () -> CommonOps_MT_FDRM.mult(ma, mb, mc));
    } else {
      ejml = time(o, () -> CommonOps_FDRM.mult(ma, mb, mc));
    }

    double maxAbs = 0;
    double maxDiff = 0;
    for (int i = 0; i < tandemC.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(mc.data[i]));
      maxDiff = Math.max(maxDiff, Math.abs(mc.data[i] - tandemC[i]));
    }
    double g = flops / 1e9;
    return new Result(n, o.threads(), kernels, g / median(tandem.runs), g / median(ejml.runs),
        g / min(tandem.runs), g / min(ejml.runs), g * tandem.runs.length / tandem.cpuSeconds,
        g * ejml.runs.length / ejml.cpuSeconds, tandem.runs.length, ejml.runs.length,
        maxAbs == 0 ? maxDiff : maxDiff / maxAbs);
  }

  /** Seconds of each timed run, and the process CPU seconds spent over all of them. */
  private record Timing(double[] runs, double cpuSeconds) {}

  private static double processCpuSeconds() {
    java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getProcessCpuTime() / 1e9;
    }
    return Double.NaN;
  }

  /** Warms up, then times single runs. */
  private static Timing time(Options o, Runnable op) {
    long warmEnd = System.nanoTime() + (long) (o.warmupSeconds() * 1e9);
    do {
      op.run();
    } while (System.nanoTime() < warmEnd);
    double[] runs = new double[16];
    int count = 0;
    double cpu0 = processCpuSeconds();
    long end = System.nanoTime() + (long) (o.measureSeconds() * 1e9);
    while (count < 3 || System.nanoTime() < end) {
      long t0 = System.nanoTime();
      op.run();
      double s = (System.nanoTime() - t0) / 1e9;
      if (count == runs.length) {
        runs = Arrays.copyOf(runs, count * 2);
      }
      runs[count++] = s;
    }
    return new Timing(Arrays.copyOf(runs, count), processCpuSeconds() - cpu0);
  }

  private static double min(double[] xs) {
    return Arrays.stream(xs).min().orElseThrow();
  }

  private static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    int m = s.length / 2;
    return s.length % 2 == 1 ? s[m] : 0.5 * (s[m - 1] + s[m]);
  }
}
