package io.tandem.actors;

import io.tandem.actors.coordinator.CheckpointPolicy;
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
 * @param startStep the first step to run (after a restore: the checkpoint's step)
 * @param checkpoints when and where to checkpoint; null = never
 * @param snapshotEvery in-memory peer snapshots after every this many steps (0 = none,
 *     {@link #AUTO_SNAPSHOTS} = chosen from the first steps)
 */
public record JobConfig(String jobId, Schedule schedule, long steps, double clipNorm, Duration stepTimeout,
    long startStep, CheckpointPolicy checkpoints, int snapshotEvery) {
  /** {@code snapshotEvery}: chosen by the coordinator from the workers' state sizes and step times ({@code SnapshotInterval}). */
  public static final int AUTO_SNAPSHOTS = -1;

  public JobConfig {
    if (steps < 1) {
      throw new IllegalArgumentException("--steps must be >= 1, got " + steps);
    }
    if (clipNorm < 0) {
      throw new IllegalArgumentException("gradient clip norm must be >= 0, got " + clipNorm);
    }
    if (startStep < 0 || startStep > steps) {
      throw new IllegalArgumentException("start step must be in [0, " + steps + "], got " + startStep);
    }
  }

  /** A job without in-memory snapshots. */
  public JobConfig(String jobId, Schedule schedule, long steps, double clipNorm, Duration stepTimeout,
      long startStep, CheckpointPolicy checkpoints) {
    this(jobId, schedule, steps, clipNorm, stepTimeout, startStep, checkpoints, 0);
  }

  /** A job from step 0 without checkpoints. */
  public JobConfig(String jobId, Schedule schedule, long steps, double clipNorm, Duration stepTimeout) {
    this(jobId, schedule, steps, clipNorm, stepTimeout, 0, null);
  }
}
