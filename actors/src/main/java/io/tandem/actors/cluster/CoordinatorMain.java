package io.tandem.actors.cluster;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A bare coordinator member, for launching coordinator JVMs without the CLI (tests):
 * {@code CoordinatorMain PORT JOB_STORE [WATCH_PID [SEEDS]]} (no seeds: it founds the cluster).
 * The JVM ends when the member's actor system terminates, or when process {@code WATCH_PID} ends.
 */
public final class CoordinatorMain {
  private CoordinatorMain() {}

  public static void main(String[] args) throws InterruptedException {
    if (args.length < 2) {
      throw new IllegalArgumentException("usage: CoordinatorMain port job-store [watch-pid [host:port,...]]");
    }
    List<String> seeds = args.length > 3 ? new ArrayList<>(Arrays.asList(args[3].split(","))) : List.of();
    ClusterNode node = ClusterNode.start("127.0.0.1", Integer.parseInt(args[0]), seeds, List.of("coordinator"), 0,
        ConfigFactory.empty().withValue("tandem.cluster.job-store", ConfigValueFactory.fromAnyRef(args[1])));
    if (args.length > 2) {
      ProcessHandle.of(Long.parseLong(args[2])).ifPresent(p -> p.onExit().thenRun(node::close));
    }
    System.out.println("tandem: coordinator " + node.address() + " up, job store " + args[1]);
    node.awaitTermination();
  }
}
