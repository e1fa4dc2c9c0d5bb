package io.tandem.planner;

import io.tandem.schedule.Placement;

/**
 * One configuration scored: a family on {@code depth x width} devices with a microbatch size,
 * its layer split and recomputation, simulated step time and exact per-position memory. Arrays
 * are per pipeline position (all replicas of a position hold the same layers); not shared.
 */
record Evaluation(
    Family family,
    int depth,
    int width,
    int microbatchSize,
    int microbatches,
    double memoryLimit,
    boolean feasible,
    double stepTimeMs,
    double bubble,
    Placement placement,
    int[] boundaries,
    boolean[] recompute,
    long[] peakBytes,
    long[] activationBytes,
    long[] memoryBytes,
    int shortPosition,
    long shortBytes,
    String reason) {

  /** A configuration refused before any split (unsupported shape, nothing fits). */
  static Evaluation refused(Family family, int depth, int width, int b, int m, String reason) {
    return new Evaluation(family, depth, width, b, m, 0, false, Double.NaN, Double.NaN, null, null, null,
        null, null, null, -1, 0, reason);
  }

  boolean anyRecompute() {
    if (recompute == null) {
      return false;
    }
    for (boolean r : recompute) {
      if (r) {
        return true;
      }
    }
    return false;
  }

  /** Largest peak over positions (0 when never split). */
  long maxPeak() {
    long max = 0;
    if (peakBytes != null) {
      for (long p : peakBytes) {
        max = Math.max(max, p);
      }
    }
    return max;
  }

  /** A short description of the configuration, e.g. {@code 8x2 mb=4 m=16 recompute=2/16}. */
  String config() {
    StringBuilder sb = new StringBuilder();
    sb.append("depth ").append(depth).append(" x dp ").append(width).append(", microbatch ").append(microbatchSize)
        .append(" x ").append(microbatches);
    if (recompute != null) {
      int n = 0;
      for (boolean r : recompute) {
        n += r ? 1 : 0;
      }
      if (n > 0) {
        sb.append(", recompute ").append(n).append('/').append(recompute.length).append(" stages");
      }
    }
    if (memoryLimit > 0) {
      sb.append(", limit ").append(memoryLimit);
    }
    return sb.toString();
  }
}
