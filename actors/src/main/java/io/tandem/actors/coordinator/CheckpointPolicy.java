package io.tandem.actors.coordinator;

import io.tandem.actors.JobSpecs;

/**
 * When and where the coordinator checkpoints a job.
 *
 * @param dir the checkpoint store's directory (every worker must reach it: local or shared)
 * @param every checkpoint after every {@code every} steps (>= 1)
 * @param keep checkpoints kept (>= 1)
 * @param jobId the job's id as the user named it (stable across re-plans)
 * @param seed the job's seed (all RNG streams and data are keyed by seed, step and microbatch)
 * @param spec the job as the user gave it: written into every manifest, so a checkpoint can be
 *     opened as a model, evaluated or resumed without the options that made it
 */
public record CheckpointPolicy(String dir, int every, int keep, String jobId, long seed,
    io.tandem.proto.JobSpec spec) {
  /** Checkpoints kept when the job does not say. */
  public static final int DEFAULT_KEEP = 3;

  public CheckpointPolicy {
    if (dir == null || dir.isBlank()) {
      throw new IllegalArgumentException("checkpointDir: is required with checkpointEvery " + every);
    }
    if (every < 1) {
      throw new IllegalArgumentException("checkpointEvery: must be >= 1, got " + every);
    }
    if (keep < 1) {
      throw new IllegalArgumentException("keepCheckpoints: must be >= 1, got " + keep);
    }
  }

  /**
   * The policy of a spec that passed {@link JobSpecs#check}, or null when it asks for no
   * checkpoints. A directory without {@code checkpoint_every} gives checkpoints on request only.
   */
  public static CheckpointPolicy of(io.tandem.proto.JobSpec spec) {
    if (spec.getCheckpointEvery() <= 0 && spec.getCheckpointDir().isBlank()) {
      return null;
    }
    return new CheckpointPolicy(spec.getCheckpointDir(),
        spec.getCheckpointEvery() > 0 ? spec.getCheckpointEvery() : Integer.MAX_VALUE,
        spec.getKeepCheckpoints() > 0 ? spec.getKeepCheckpoints() : DEFAULT_KEEP, spec.getJobId(), spec.getSeed(),
        spec);
  }

  /**
   * Whether a checkpoint follows {@code completed} steps of a job of {@code steps} steps: every
   * {@code every} steps, and always after the last step (the trained model is the product).
   */
  public boolean due(long completed, long steps) {
    return completed % every == 0 || completed == steps;
  }
}
