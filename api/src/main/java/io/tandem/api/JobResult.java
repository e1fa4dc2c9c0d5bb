package io.tandem.api;

import java.nio.file.Path;
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
 * @param checkpoint the final step's checkpoint ({@code DIR/step-N}) of a succeeded job with a
 *     checkpoint directory: open it with {@link Model#load(Path)}
 */
public record JobResult(String jobId, JobStatus status, long stepsCompleted, double finalLoss,
    String weightsSha256, String message, Optional<Path> checkpoint) {

  public JobResult {
    if (!status.isFinal()) {
      throw new IllegalArgumentException("a result needs a final status, got " + status);
    }
    weightsSha256 = weightsSha256 == null ? "" : weightsSha256;
    message = message == null ? "" : message;
    checkpoint = checkpoint == null ? Optional.empty() : checkpoint;
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
