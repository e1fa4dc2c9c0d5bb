package io.tandem.planner;

/**
 * What the planner knows of one layer, for one microbatch of the profile's microbatch size.
 * Times are on a device of relative speed 1; bytes are per layer (the runtime stores fp32).
 *
 * @param name layer name, e.g. {@code block3}
 * @param forwardMs time of F
 * @param backwardInputMs time of B (gradient w.r.t. the input)
 * @param backwardWeightMs time of W (gradient w.r.t. the weights)
 * @param parameterBytes the weights
 * @param gradientBytes the accumulated weight gradients
 * @param optimizerBytes optimizer state (AdamW: two slots, twice the weights)
 * @param activationBytesForB stashed by F, released by B (needed by B only)
 * @param activationBytesForW stashed by F, released by W
 * @param gradientBytesForW stashed by B (the output gradient), released by W
 * @param outputBytes the layer's output for one microbatch: what crosses a stage boundary, and
 *     what a recomputing chunk keeps of its input
 */
public record LayerProfile(
    String name,
    double forwardMs,
    double backwardInputMs,
    double backwardWeightMs,
    long parameterBytes,
    long gradientBytes,
    long optimizerBytes,
    long activationBytesForB,
    long activationBytesForW,
    long gradientBytesForW,
    long outputBytes) {

  public LayerProfile {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("a layer profile needs a name");
    }
    checkTime(name, "forwardMs", forwardMs);
    checkTime(name, "backwardInputMs", backwardInputMs);
    checkTime(name, "backwardWeightMs", backwardWeightMs);
    checkBytes(name, "parameterBytes", parameterBytes);
    checkBytes(name, "gradientBytes", gradientBytes);
    checkBytes(name, "optimizerBytes", optimizerBytes);
    checkBytes(name, "activationBytesForB", activationBytesForB);
    checkBytes(name, "activationBytesForW", activationBytesForW);
    checkBytes(name, "gradientBytesForW", gradientBytesForW);
    checkBytes(name, "outputBytes", outputBytes);
  }

  /** Weights + gradients + optimizer state: what the layer costs whatever the schedule. */
  public long staticBytes() {
    return parameterBytes + gradientBytes + optimizerBytes;
  }

  /** Activation bytes held from F until B. */
  public long activationBytesAfterForward() {
    return activationBytesForB + activationBytesForW;
  }

  /** F + B + W. */
  public double totalMs() {
    return forwardMs + backwardInputMs + backwardWeightMs;
  }

  /**
   * This layer for microbatches {@code factor} times as large: times above {@code overheadMs}
   * per pass and activation bytes scale by {@code factor}, weights and optimizer state do not.
   */
  public LayerProfile scaled(double factor, double overheadMs) {
    return new LayerProfile(name, scaleTime(forwardMs, factor, overheadMs),
        scaleTime(backwardInputMs, factor, overheadMs), scaleTime(backwardWeightMs, factor, overheadMs),
        parameterBytes, gradientBytes, optimizerBytes, Math.round(activationBytesForB * factor),
        Math.round(activationBytesForW * factor), Math.round(gradientBytesForW * factor),
        Math.round(outputBytes * factor));
  }

  private static double scaleTime(double ms, double factor, double overheadMs) {
    double fixed = Math.min(ms, overheadMs);
    return fixed + (ms - fixed) * factor;
  }

  private static void checkTime(String layer, String field, double v) {
    if (!(v >= 0) || Double.isInfinite(v)) {
      throw new IllegalArgumentException("layer " + layer + ": " + field + " must be a finite number >= 0, got " + v);
    }
  }

  private static void checkBytes(String layer, String field, long v) {
    if (v < 0) {
      throw new IllegalArgumentException("layer " + layer + ": " + field + " must be >= 0, got " + v);
    }
  }
}
