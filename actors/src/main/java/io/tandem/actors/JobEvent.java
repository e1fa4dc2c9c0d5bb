package io.tandem.actors;

import io.tandem.proto.StepReport;
import java.util.List;

/** What the coordinator tells a job's listener. */
public sealed interface JobEvent {

  /** True for the job's last event (succeeded, failed or cancelled). */
  default boolean terminal() {
    return false;
  }

  /**
   * The job's workers are up and its steps are starting: at the job's start (attempt 0) and
   * after every recovery (attempt 1, 2, ...: re-planned over the surviving devices).
   *
   * @param schedule the schedule's name
   * @param deviceNodes per schedule device, the node (cluster address) running it
   * @param attempt 0 at the start, then one more per recovery
   * @param fromStep the step the attempt starts at (the restored checkpoint's; 0 at the start)
   */
  record JobStarted(String schedule, List<String> deviceNodes, int attempt, long fromStep) implements JobEvent {
    public JobStarted {
      deviceNodes = List.copyOf(deviceNodes);
    }
  }

  /**
   * One optimizer step finished.
   *
   * @param peakActivationUnits per device, measured by the workers (DESIGN.md units)
   * @param peakActivationBytes per device
   */
  record StepCompleted(long step, double loss, double stepMillis, double[] peakActivationUnits,
      long[] peakActivationBytes, double gradNorm, List<StepReport> reports) implements JobEvent {}

  /** The job ran all its steps. {@code weightsSha256} hashes all weights in layer order. */
  record JobSucceeded(long steps, double finalLoss, String weightsSha256) implements JobEvent {
    @Override
    public boolean terminal() {
      return true;
    }
  }

  /**
   * Something the submitter should see: a checkpoint committed, a failure detected, a node
   * downed, a re-plan, a restore. {@code kind} is a short tag ({@code checkpoint},
   * {@code failure-detected}, {@code downed}, {@code re-planned}, {@code restored},
   * {@code checkpoint-skipped}, {@code restart}), {@code message} one line for people.
   */
  record Progress(String kind, String message) implements JobEvent {}

  /** The job stopped with an error naming what failed. */
  record JobFailed(String message) implements JobEvent {
    @Override
    public boolean terminal() {
      return true;
    }
  }

  /**
   * The job was cancelled on request; the step in flight was dropped.
   *
   * @param stepsCompleted optimizer steps applied before the cancel
   */
  record JobCancelled(long stepsCompleted, String reason) implements JobEvent {
    @Override
    public boolean terminal() {
      return true;
    }
  }
}
