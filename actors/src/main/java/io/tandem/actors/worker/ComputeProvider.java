package io.tandem.actors.worker;

import io.tandem.schedule.Schedule;

/** Opens the compute of each device for a job (sim, CPU or CUDA backend). */
public interface ComputeProvider {
  /** Compute for {@code device}, holding the virtual stages the schedule's placement gives it. */
  DeviceCompute open(int device, Schedule schedule);

  /**
   * Compute for job device {@code device} on this machine's device {@code localOrdinal} (its
   * CUDA ordinal; CPU devices ignore it). In one process the two are the same.
   */
  default DeviceCompute open(int device, int localOrdinal, Schedule schedule) {
    return open(device, schedule);
  }

  /** Tokens (or samples) processed per step, for throughput figures; 0 when meaningless. */
  long tokensPerStep();
}
