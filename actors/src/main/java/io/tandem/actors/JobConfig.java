package io.tandem.actors;

import io.tandem.schedule.Schedule;
import java.time.Duration;

/**
 * A job as the coordinator runs it.
 *
 * @param jobId unique id, stamped on every message and tensor of the job
 * @param schedule the validated schedule every step follows
 * @param steps optimizer steps to run
 * @param clipNorm global gradient-norm clip (0 = off)
 * @param stepTimeout how long a step may take before the job fails
 */
public record JobConfig(String jobId, Schedule schedule, long steps, double clipNorm, Duration stepTimeout) {
  public JobConfig {
    if (steps < 1) {
      throw new IllegalArgumentException("--steps must be >= 1, got " + steps);
    }
    if (clipNorm < 0) {
      throw new IllegalArgumentException("gradient clip norm must be >= 0, got " + clipNorm);
    }
  }
}
