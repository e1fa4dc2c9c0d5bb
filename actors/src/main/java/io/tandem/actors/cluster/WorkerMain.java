package io.tandem.actors.cluster;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A bare worker member, for launching worker JVMs without the CLI (tests):
 * {@code WorkerMain SEEDS [PORT [DEVICES [WATCH_PID [DISK_ROOT]]]]}. The JVM ends when the member's actor
 * system terminates, or when process {@code WATCH_PID} (the launcher) ends. {@code DISK_ROOT}: the
 * node's own disk ({@link io.tandem.actors.checkpoint.NodeDisk}).
 */
public final class WorkerMain {
  private WorkerMain() {}

  public static void main(String[] args) throws InterruptedException {
    if (args.length < 1) {
      throw new IllegalArgumentException(
          "usage: WorkerMain host:port[,host:port] [port [devices [watch-pid [disk-root]]]]");
    }
    List<String> seeds = new ArrayList<>(Arrays.asList(args[0].split(",")));
    int port = args.length > 1 ? Integer.parseInt(args[1]) : 0;
    int devices = args.length > 2 ? Integer.parseInt(args[2]) : 1;
    com.typesafe.config.Config overrides = args.length > 4
        ? com.typesafe.config.ConfigFactory.empty().withValue(io.tandem.actors.checkpoint.NodeDisk.CONFIG_KEY,
            com.typesafe.config.ConfigValueFactory.fromAnyRef(args[4]))
        : com.typesafe.config.ConfigFactory.empty();
    ClusterNode node = ClusterNode.start("127.0.0.1", port, seeds, List.of("worker"), devices, overrides);
    if (args.length > 3) {
      ProcessHandle.of(Long.parseLong(args[3])).ifPresent(p -> p.onExit().thenRun(node::close));
    }
    System.out.println("tandem: worker " + node.address() + " joined " + seeds);
    node.awaitTermination();
  }
}
