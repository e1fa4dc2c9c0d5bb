package io.tandem.actors.cluster;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The {@code tandem.cluster} block of the configuration, read once.
 *
 * @param nodeWaitTimeout how long a submitted job waits for enough worker nodes
 * @param spawnTimeout how long describing nodes and opening devices may take
 * @param stepTimeout default time a step may take (a job spec may set its own)
 * @param maxFrameBytes largest data plane frame (tensor plus header)
 * @param queueFrames frames buffered per data plane connection before senders wait
 * @param failureConfirmWindow after a failed step, how long to wait for the failure detector
 *     to name an unreachable node (then the job recovers) before failing the job
 * @param jobStore directory (shared by the coordinator-role nodes) where the job master records
 *     its running job, so a job master that takes over resumes it; empty = none
 */
public record ClusterSettings(Duration nodeWaitTimeout, Duration spawnTimeout, Duration stepTimeout,
    int maxFrameBytes, int queueFrames, Duration failureConfirmWindow, String jobStore) {

  public static ClusterSettings create(Config config) {
    Config c = config.getConfig("tandem.cluster");
    return new ClusterSettings(c.getDuration("node-wait-timeout"), c.getDuration("spawn-timeout"),
        config.getDuration("tandem.runtime.step-timeout"),
        (int) Math.min(Integer.MAX_VALUE, c.getBytes("data-plane.max-frame-size")),
        c.getInt("data-plane.queue-frames"), c.getDuration("failure-confirm-window"),
        c.getString("job-store"));
  }
}
