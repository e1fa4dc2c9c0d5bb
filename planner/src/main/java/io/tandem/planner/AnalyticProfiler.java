package io.tandem.planner;

import java.util.ArrayList;
import java.util.List;

/**
 * A profile from the model's shape and a device's measured rates, so plans for large models can
 * be made without running them. Bytes mirror what Tandem's fp32 layers stash (the model module's
 * {@code stashBytes}); AdamW keeps two optimizer slots per weight. A pass takes its matrix work
 * at {@code flopsPerSecond}, plus its elementwise memory traffic at {@code bytesPerSecond}, plus
 * {@code passOverheadMs} (kernel launches) per layer.
 *
 * @param flopsPerSecond sustained matrix-multiply rate of a speed-1 device
 * @param bytesPerSecond sustained memory bandwidth of a speed-1 device
 * @param passOverheadMs fixed cost of one pass of one layer
 */
public record AnalyticProfiler(double flopsPerSecond, double bytesPerSecond, double passOverheadMs) {
  private static final int F32 = Float.BYTES;
  private static final int ADAM_SLOTS = 2;

  public AnalyticProfiler {
    if (!(flopsPerSecond > 0) || !(bytesPerSecond > 0) || !(passOverheadMs >= 0)) {
      throw new IllegalArgumentException("analytic profiler needs FLOP/s > 0, bytes/s > 0, overhead >= 0");
    }
  }

  /** An H100-class device in fp32 with tensor cores off: 50 TFLOP/s, 2 TB/s, 10 us per pass. */
  public static AnalyticProfiler gpuDefault() {
    return new AnalyticProfiler(50e12, 2e12, 0.01);
  }

  /**
   * A CPU worker of Tandem's CPU backend: 50 GFLOP/s (its Vector API GEMM on a few cores), 4 GB/s
   * for the elementwise kernels, 50 us per pass. Checked against {@code tandem profile} on a 2-core
   * x86 VM: a transformer block's F, B and W within 1.5x, the whole model's within 1.4x for gpt-tiny
   * and a 1024-wide GPT (BENCHMARKS.md, "The planner's CPU costs").
   */
  public static AnalyticProfiler cpuDefault() {
    return new AnalyticProfiler(50e9, 4e9, 0.05);
  }

  /** The profile of {@code shape} for microbatches of {@code microbatchSize} sequences. */
  public ModelProfile profile(GptShape shape, int microbatchSize) {
    if (microbatchSize < 1) {
      throw new IllegalArgumentException("microbatch size must be >= 1, got " + microbatchSize);
    }
    long b = microbatchSize;
    long s = shape.seq();
    long h = shape.hidden();
    long v = shape.vocab();
    long a = shape.heads();
    long rows = b * s;
    List<LayerProfile> layers = new ArrayList<>(shape.layers() + 3);
    // embedding: gathers rows, its W scatters the output gradient (kept from B)
    layers.add(layer("embed", 0, 0, 0, (v + s) * h, 0, 0, rows * h * F32, rows * h * F32,
        2 * rows * h * F32, 0, 2 * rows * h * F32));
    long bOnly = (7 * rows * h + b * a * s * s) * F32;
    long wFwd = rows * (9 * h + 4) * F32;
    long wBwd = rows * 11 * h * F32;
    double mm = 24.0 * rows * h * h;
    double core = 4.0 * b * s * s * h;
    for (int i = 0; i < shape.layers(); i++) {
      layers.add(layer("block" + i, mm + core, mm + 2 * core, mm, 12 * h * h + 13 * h, bOnly, wFwd, wBwd,
          rows * h * F32, 2 * (bOnly + wFwd), 2 * (bOnly + wFwd + wBwd), wFwd + wBwd));
    }
    long lnF = (rows * h + 2 * rows) * F32;
    layers.add(layer("ln_f", 0, 0, 0, 2 * h, 0, lnF, rows * h * F32, rows * h * F32, 2 * lnF,
        2 * lnF + rows * h * F32, lnF + rows * h * F32));
    double head = 2.0 * rows * h * v;
    long headStash = rows * (h + v) * F32;
    layers.add(layer("head", head, head, head, v * h, 0, headStash, 0, rows * F32, 2 * headStash,
        2 * headStash, headStash));
    return new ModelProfile(shape.toString(), microbatchSize, "analytic " + describe(), passOverheadMs, layers);
  }

  private LayerProfile layer(String name, double fFlops, double bFlops, double wFlops, long params, long bOnly,
      long wFwd, long wBwd, long output, long fTraffic, long bTraffic, long wTraffic) {
    return new LayerProfile(name, ms(fFlops, fTraffic), ms(bFlops, bTraffic), ms(wFlops, wTraffic),
        params * F32, params * F32, ADAM_SLOTS * params * F32, bOnly, wFwd, wBwd, output);
  }

  private double ms(double flops, long traffic) {
    return (flops / flopsPerSecond + traffic / bytesPerSecond) * 1e3 + passOverheadMs;
  }

  /** One line naming the rates, for the profile's source. */
  public String describe() {
    return String.format(java.util.Locale.ROOT, "%.3g FLOP/s, %.3g B/s, %.3g ms/pass", flopsPerSecond,
        bytesPerSecond, passOverheadMs);
  }
}
