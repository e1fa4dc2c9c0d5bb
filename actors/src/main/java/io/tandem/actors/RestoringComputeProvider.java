package io.tandem.actors;

import io.tandem.actors.checkpoint.Checkpoint;
import io.tandem.schedule.Schedule;

/**
 * Opens each device like {@code inner}, then loads its layers (weights and optimizer state) from
 * a checkpoint, each file checked against the manifest: how a job resumes in this JVM.
 */
public record RestoringComputeProvider(ComputeProvider inner, Checkpoint checkpoint) implements ComputeProvider {
  @Override
  public DeviceCompute open(int device, Schedule schedule) {
    DeviceCompute opened = inner.open(device, schedule);
    try {
      opened.compute().restore(checkpoint::layer);
      return opened;
    } catch (RuntimeException e) {
      opened.close();
      throw e;
    }
  }

  @Override
  public long tokensPerStep() {
    return inner.tokensPerStep();
  }
}
