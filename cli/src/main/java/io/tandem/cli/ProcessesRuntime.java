package io.tandem.cli;

import io.tandem.actors.JobEvent;
import io.tandem.actors.cluster.ClusterNode;
import io.tandem.actors.cluster.WorkerProcesses;
import io.tandem.proto.JobSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * A throw-away cluster on loopback: this JVM is the coordinator, and one worker JVM per device
 * ({@code tandem worker}, same java binary and class path) is started and destroyed around
 * one job.
 */
final class ProcessesRuntime {
  private ProcessesRuntime() {}

  static JobEvent run(JobSpec spec, Duration limit, Consumer<JobEvent> onEvent) {
    Path logs;
    try {
      logs = Files.createTempDirectory("tandem-workers");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a directory for worker logs: " + e.getMessage(), e);
    }
    try (ClusterNode node = ClusterNode.start("127.0.0.1", 0, List.of(), List.of("coordinator"), 0);
         WorkerProcesses workers = WorkerProcesses.start(spec.getDevices(), TandemCli.class.getName(),
             List.of("worker", "--seeds", "127.0.0.1:" + node.port(), "--watch-pid",
                 Long.toString(WorkerProcesses.selfPid())), logs)) {
      JobEvent end = node.run(spec, spec.getDevices(), limit, onEvent);
      if (end instanceof JobEvent.JobFailed f) {
        return new JobEvent.JobFailed(f.message() + " (worker logs in " + logs + ")");
      }
      return end;
    }
  }
}
