package io.tandem.api;

import java.util.List;

/**
 * One finished optimizer step, as step listeners get it.
 *
 * @param jobId the job
 * @param step the step's index (0-based)
 * @param totalSteps steps the job runs
 * @param loss the step's loss (mean over its microbatches)
 * @param gradNorm global gradient norm before clipping
 * @param stepMillis wall time of the step (compute and optimizer barrier)
 * @param tokensPerSecond tokens of the step over its wall time (0 for the sim backend)
 * @param peakActivationBytes per device, peak bytes of held activations during the step
 */
public record StepProgress(String jobId, long step, long totalSteps, double loss, double gradNorm,
    double stepMillis, double tokensPerSecond, List<Long> peakActivationBytes) {

  public StepProgress {
    peakActivationBytes = List.copyOf(peakActivationBytes);
  }
}
