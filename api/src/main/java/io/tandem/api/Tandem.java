package io.tandem.api;

import io.tandem.actors.cluster.ClusterNode;
import io.tandem.actors.cluster.InJvmRuntime;
import java.util.List;

/**
 * Entry point of the Java API.
 *
 * <pre>{@code
 * try (TandemClient tandem = Tandem.local(LocalOptions.defaults())) {
 *   JobHandle job = tandem.submit(JobSpec.builder().devices(2).microbatches(4).steps(5).build());
 *   job.onStep(p -> System.out.println("step " + p.step() + " loss " + p.loss()));
 *   JobResult result = job.await(Duration.ofMinutes(5));
 * }
 * }</pre>
 */
public final class Tandem {
  private Tandem() {}

  /**
   * Starts the in-JVM runtime ({@link InJvmRuntime}, the one {@code tandem train} runs on): a
   * one-member cluster (coordinator and worker) on loopback, so jobs run exactly as on a cluster,
   * their devices all in this JVM.
   */
  public static TandemClient local(LocalOptions options) {
    return new ClusterClient(InJvmRuntime.start(options.host(), options.devices()), 1, true);
  }

  /** Joins the cluster reachable through {@code options.seeds()} as a client member (no devices). */
  public static TandemClient connect(ConnectOptions options) {
    ClusterNode node = ClusterNode.start(options.bindHost(), 0, options.seeds(), List.of("client"), 0);
    return new ClusterClient(node, options.minWorkerNodes(), false);
  }
}
