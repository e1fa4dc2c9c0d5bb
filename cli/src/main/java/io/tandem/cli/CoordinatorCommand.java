package io.tandem.cli;

import io.tandem.actors.cluster.ClusterNode;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tandem coordinator}: starts a cluster member with the {@code coordinator} role, which
 * hosts the job master singleton. Runs until stopped (Ctrl-C).
 */
@Command(name = "coordinator", mixinStandardHelpOptions = true,
    description = "Start a cluster member that coordinates jobs (the job master singleton runs here).")
public final class CoordinatorCommand implements Callable<Integer> {

  @Option(names = "--port", defaultValue = "2551", description = "Artery TCP port (default: ${DEFAULT-VALUE})")
  int port;

  @Option(names = "--bind", defaultValue = "127.0.0.1", description = "host to bind and advertise (default: ${DEFAULT-VALUE})")
  String bind;

  @Option(names = "--seeds", description = "host:port[,..] of members to join; none: start a new cluster")
  String seeds;

  @Option(names = "--bootstrap", description = "form or join the cluster with Pekko Cluster Bootstrap (service "
      + "discovery, e.g. Kubernetes) instead of --seeds")
  boolean bootstrap;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    ClusterNode node = ClusterNode.start(bind, port, ClusterOptions.seeds(seeds), List.of("coordinator"), 0,
        ClusterOptions.bootstrap(bootstrap));
    Runtime.getRuntime().addShutdownHook(new Thread(node::close, "coordinator-shutdown"));
    spec.commandLine().getErr().printf("tandem: coordinator up at %s; start workers with: tandem worker --seeds %s:%d%n",
        node.address(), bind, node.port());
    spec.commandLine().getErr().flush();
    node.awaitTermination();
    return 0;
  }
}
