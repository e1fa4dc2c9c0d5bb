package io.tandem.actors.cluster;

import io.tandem.actors.JobEvent;
import io.tandem.proto.JobSpec;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * The one way a job runs in this JVM: a one-member cluster on loopback (coordinator and worker
 * roles, every device here), so a local job takes exactly the path of a cluster job (job master,
 * node agent, stage workers; tensors by reference). {@code tandem train}, {@code tandem demo},
 * {@code bench runtime --mode local} and the Java API's {@code Tandem.local} all start it here.
 */
public final class InJvmRuntime {
  private InJvmRuntime() {}

  /** Starts the one-member cluster on {@code host} (any free port) offering {@code devices} devices. */
  public static ClusterNode start(String host, int devices) {
    return ClusterNode.start(host, 0, List.of(), List.of("coordinator", "worker"), devices);
  }

  /**
   * Runs {@code spec} (checked: {@code JobSpecs.check}) on a one-member cluster of its device
   * count started for it, and returns its terminal event; every event also goes to
   * {@code onEvent} (on an actor thread: keep it short).
   *
   * @param limit how long the whole job may take
   */
  public static JobEvent run(JobSpec spec, Duration limit, Consumer<JobEvent> onEvent) {
    try (ClusterNode node = start("127.0.0.1", spec.getDevices())) {
      return node.run(spec, 1, limit, onEvent);
    }
  }
}
