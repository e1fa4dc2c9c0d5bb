package io.tandem.planner;

import java.util.Locale;

/**
 * How a feasible alternative compares with the chosen plan, in words for the plan table: its
 * step time ("as fast as X" or "N% slower than X") and its peak memory per device ("same",
 * "more" or "less memory").
 */
final class AlternativeReason {
  private AlternativeReason() {}

  /**
   * @param stepMs the alternative's simulated step time
   * @param peakBytes its largest per-device peak
   * @param chosenMs the chosen plan's step time
   * @param chosenPeakBytes the chosen plan's largest per-device peak
   * @param chosen the chosen plan's schedule family
   */
  static String describe(double stepMs, long peakBytes, double chosenMs, long chosenPeakBytes, String chosen) {
    double slower = stepMs / chosenMs - 1;
    String time;
    if (Math.abs(stepMs - chosenMs) <= 1e-9 * Math.max(stepMs, chosenMs)) {
      time = "as fast as " + chosen;
    } else if (slower < 0) {
      time = String.format(Locale.ROOT, "%.1f%% faster than %s", -100 * slower, chosen);
    } else {
      time = slower < 0.0005 ? "<0.1% slower than " + chosen
          : String.format(Locale.ROOT, "%.1f%% slower than %s", 100 * slower, chosen);
    }
    String memory = peakBytes == chosenPeakBytes ? "same memory"
        : peakBytes > chosenPeakBytes ? "more memory" : "less memory";
    return time + ", " + memory;
  }
}
