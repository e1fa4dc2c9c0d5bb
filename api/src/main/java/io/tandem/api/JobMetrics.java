package io.tandem.api;

import java.util.List;

/**
 * A job's current figures (a snapshot; {@link JobHandle#metrics()} makes a new one each call).
 *
 * @param status where the job stands
 * @param stepsCompleted optimizer steps applied so far
 * @param totalSteps steps the job runs
 * @param loss loss of the last step (NaN before the first)
 * @param stepMillis wall time of the last step (0 before the first)
 * @param tokensPerSecond tokens per second of the last step (0 before the first, and for sim)
 * @param schedule the schedule running (empty until the job starts)
 * @param deviceNodes per device, the node running it (empty until the job starts)
 * @param peakActivationBytes per device, the largest peak of held activations over all steps
 * @param recoveries failures the job recovered from
 */
public record JobMetrics(JobStatus status, long stepsCompleted, long totalSteps, double loss, double stepMillis,
    double tokensPerSecond, String schedule, List<String> deviceNodes, List<Long> peakActivationBytes,
    int recoveries) {

  public JobMetrics {
    deviceNodes = List.copyOf(deviceNodes);
    peakActivationBytes = List.copyOf(peakActivationBytes);
  }
}
