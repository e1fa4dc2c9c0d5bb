package io.tandem.actors;

import io.tandem.schedule.Schedule;

/** Opens the compute of each device for a job (sim, CPU or CUDA backend). */
public interface ComputeProvider {
  /** Compute for {@code device}, holding the virtual stages the schedule's placement gives it. */
  DeviceCompute open(int device, Schedule schedule);

  /** Tokens (or samples) processed per step, for throughput figures; 0 when meaningless. */
  long tokensPerStep();
}
