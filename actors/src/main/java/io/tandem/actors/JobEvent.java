package io.tandem.actors;

import io.tandem.proto.StepReport;
import java.util.List;

/** What the coordinator tells a job's listener. */
public sealed interface JobEvent {

  /**
   * One optimizer step finished.
   *
   * @param peakActivationUnits per device, measured by the workers (DESIGN.md units)
   * @param peakActivationBytes per device
   */
  record StepCompleted(long step, double loss, double stepMillis, double[] peakActivationUnits,
      long[] peakActivationBytes, double gradNorm, List<StepReport> reports) implements JobEvent {}

  /** The job ran all its steps. {@code weightsSha256} hashes all weights in layer order. */
  record JobSucceeded(long steps, double finalLoss, String weightsSha256) implements JobEvent {}

  /**
   * Something the submitter should see: a checkpoint committed, a failure detected, a node
   * downed, a re-plan, a restore. {@code kind} is a short tag ({@code checkpoint},
   * {@code failure-detected}, {@code downed}, {@code re-planned}, {@code restored},
   * {@code checkpoint-skipped}, {@code restart}), {@code message} one line for people.
   */
  record Progress(String kind, String message) implements JobEvent {}

  /** The job stopped with an error naming what failed. */
  record JobFailed(String message) implements JobEvent {}
}
