package io.tandem.actors.cluster;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The {@code tandem.cluster} block of the configuration, read once (the data plane's own settings
 * are {@link io.tandem.actors.transport.DataPlaneSettings}).
 *
 * @param nodeWaitTimeout how long a submitted job waits for enough worker nodes
 * @param spawnTimeout how long describing nodes and opening devices may take
 * @param stepTimeout default time a step may take (a job spec may set its own)
 * @param failureConfirmWindow after a failed step, how long to wait for the failure detector
 *     to name an unreachable node (then the job recovers) before failing the job
 * @param jobStore directory (shared by the coordinator-role nodes) where the job master records
 *     its running jobs, so a job master that takes over resumes them; empty = none
 * @param expectedWorkers worker nodes the cluster is declared to have (0 = not declared): a job
 *     larger than this and than the nodes up is refused; a smaller one waits for nodes
 */
public record ClusterSettings(Duration nodeWaitTimeout, Duration spawnTimeout, Duration stepTimeout,
    Duration failureConfirmWindow, String jobStore, int expectedWorkers) {

  public static ClusterSettings create(Config config) {
    Config c = config.getConfig("tandem.cluster");
    return new ClusterSettings(c.getDuration("node-wait-timeout"), c.getDuration("spawn-timeout"),
        config.getDuration("tandem.runtime.step-timeout"),
        c.getDuration("failure-confirm-window"),
        c.getString("job-store"), Math.max(0, c.getInt("expected-workers")));
  }
}
