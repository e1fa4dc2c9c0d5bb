package io.tandem.schedule;

import java.util.List;

/**
 * What {@link Simulator} computes for one schedule.
 *
 * @param makespan end of the last op
 * @param bubble {@code 1 - busy / (p * makespan)}; 0 when the makespan is 0
 * @param peakActivation per device, peak activation held (DESIGN.md units: one microbatch's
 *     activations for {@code 1/p} of the model)
 * @param idleTime per device, {@code makespan - busy time} (idle at the start, between ops and
 *     at the end)
 * @param timings every op's start and end, device by device, each device's ops in list order
 */
public record SimulationResult(
    double makespan, double bubble, double[] peakActivation, double[] idleTime, List<OpTiming> timings) {

  public SimulationResult {
    peakActivation = peakActivation.clone();
    idleTime = idleTime.clone();
    timings = List.copyOf(timings);
  }

  @Override
  public double[] peakActivation() {
    return peakActivation.clone();
  }

  @Override
  public double[] idleTime() {
    return idleTime.clone();
  }

  /** The largest peak over all devices. */
  public double maxPeakActivation() {
    double max = 0;
    for (double v : peakActivation) {
      max = Math.max(max, v);
    }
    return max;
  }

  /** Peak activation of one device. */
  public double peakActivation(int device) {
    return peakActivation[device];
  }

  /** Idle time of one device. */
  public double idleTime(int device) {
    return idleTime[device];
  }

  public int devices() {
    return peakActivation.length;
  }
}
