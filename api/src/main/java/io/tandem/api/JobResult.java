package io.tandem.api;

import java.util.Optional;

/**
 * How a job ended.
 *
 * @param jobId the job
 * @param status SUCCEEDED, FAILED or CANCELLED
 * @param stepsCompleted optimizer steps applied
 * @param finalLoss loss of the last step (NaN when no step ran)
 * @param weightsSha256 SHA-256 of all weights in layer order (succeeded jobs only; else empty)
 * @param message why it failed or was cancelled (empty for a success)
 */
public record JobResult(String jobId, JobStatus status, long stepsCompleted, double finalLoss,
    String weightsSha256, String message) {

  public JobResult {
    if (!status.isFinal()) {
      throw new IllegalArgumentException("a result needs a final status, got " + status);
    }
    weightsSha256 = weightsSha256 == null ? "" : weightsSha256;
    message = message == null ? "" : message;
  }

  /** True when all steps ran. */
  public boolean succeeded() {
    return status == JobStatus.SUCCEEDED;
  }

  /** The weights' hash of a succeeded job. */
  public Optional<String> weights() {
    return weightsSha256.isEmpty() ? Optional.empty() : Optional.of(weightsSha256);
  }
}
