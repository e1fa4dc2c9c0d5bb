package io.tandem.planner;

import java.util.List;

/**
 * The best configuration found for one schedule family, or why the family has none.
 *
 * @param schedule family name
 * @param feasible whether it fits every device's memory
 * @param stepTimeMs simulated step time (NaN when never scored)
 * @param peakBytesPerDevice per plan device (empty when never scored)
 * @param config depth, data-parallel width, microbatching and recomputation of the configuration
 * @param reason empty for the chosen plan; otherwise why it was not chosen
 */
public record Alternative(
    String schedule, boolean feasible, double stepTimeMs, List<Long> peakBytesPerDevice, String config, String reason) {
  public Alternative {
    peakBytesPerDevice = List.copyOf(peakBytesPerDevice);
  }
}
