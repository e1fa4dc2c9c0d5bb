package io.tandem.cli;

import io.tandem.actors.cluster.ClusterNode;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tandem worker}: starts a cluster member with the {@code worker} role: a node agent
 * offering its devices and a data plane server. Runs until stopped.
 */
@Command(name = "worker", mixinStandardHelpOptions = true,
    description = "Start a cluster member that runs stage workers on its devices.")
public final class WorkerCommand implements Callable<Integer> {

  @Option(names = "--seeds", description = "host:port[,..] of cluster members to join (e.g. the coordinator)")
  String seeds;

  @Option(names = "--bootstrap", description = "find the cluster with Pekko Cluster Bootstrap (service discovery, "
      + "e.g. Kubernetes) instead of --seeds")
  boolean bootstrap;

  @Option(names = "--port", defaultValue = "0", description = "Artery TCP port, 0 = any free port (default: ${DEFAULT-VALUE})")
  int port;

  @Option(names = "--bind", defaultValue = "127.0.0.1", description = "host to bind and advertise (default: ${DEFAULT-VALUE})")
  String bind;

  @Option(names = "--devices", defaultValue = "1", description = "devices this node offers (default: ${DEFAULT-VALUE})")
  int devices;

  @Option(names = "--disk-root", paramLabel = "DIR", description = "this node's own disk: checkpoint directories of "
      + "jobs resolve under DIR here (nodes share no file; e.g. several workers on one machine)")
  java.nio.file.Path diskRoot;

  @Option(names = "--watch-pid", hidden = true, description = "exit when this process ends (used by bench)")
  Long watchPid;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    if (devices < 1) {
      throw new IllegalArgumentException("--devices must be >= 1, got " + devices);
    }
    List<String> seedList = ClusterOptions.seeds(seeds);
    if (seedList.isEmpty() && !bootstrap) {
      throw new IllegalArgumentException("worker needs --seeds host:port (e.g. of 'tandem coordinator') or --bootstrap");
    }
    com.typesafe.config.Config overrides = ClusterOptions.bootstrap(bootstrap);
    if (diskRoot != null) {
      OutputPaths.checkDirectory(diskRoot, "--disk-root");
      overrides = overrides.withValue(io.tandem.actors.checkpoint.NodeDisk.CONFIG_KEY,
          com.typesafe.config.ConfigValueFactory.fromAnyRef(diskRoot.toAbsolutePath().toString()));
    }
    ClusterNode node = ClusterNode.start(bind, port, seedList, List.of("worker"), devices, overrides);
    Runtime.getRuntime().addShutdownHook(new Thread(node::close, "worker-shutdown"));
    if (watchPid != null) {
      ProcessHandle.of(watchPid).ifPresentOrElse(p -> p.onExit().thenRun(node::close), node::close);
    }
    spec.commandLine().getErr().printf("tandem: worker %s with %d device(s) joining %s%s%n", node.address(), devices,
        seedList, diskRoot == null ? "" : "; checkpoints on its own disk " + diskRoot.toAbsolutePath());
    spec.commandLine().getErr().flush();
    node.awaitTermination();
    return 0;
  }
}
