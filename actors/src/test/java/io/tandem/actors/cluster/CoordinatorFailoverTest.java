package io.tandem.actors.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.tandem.actors.JobEvent;
import io.tandem.proto.JobSpec;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator's JVM is killed mid-run: the job master singleton moves to the other
 * coordinator-role member (this JVM), which resumes the job from its last checkpoint; the
 * weights end bitwise equal to an uninterrupted run.
 */
@Timeout(value = 240)
class CoordinatorFailoverTest {
  static final int WORKERS = 3;
  @TempDir Path dir;

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void killedCoordinatorJvm_singletonMoves_jobResumesFromLastManifest_bitwiseEqual() throws Exception {
    JobSpec spec = FailureRecoveryTest.spec("failover", WORKERS, 2, dir);
    String reference = FailureRecoveryTest.referenceOf(spec.toBuilder().setCheckpointEvery(0).build());
    int port = freePort();
    String seed = "127.0.0.1:" + port;
    String store = dir.resolve("jobs").toString();
    Path logs = Path.of("target", "failover-test-logs");
    String self = Long.toString(WorkerProcesses.selfPid());
    try (WorkerProcesses first = WorkerProcesses.start(1, CoordinatorMain.class.getName(),
        List.of(Integer.toString(port), store, self), logs.resolve("coordinator"))) {
      awaitLine(first.logs().get(0), "up, job store"); // join a running seed: no join retries
      ClusterNode standby = startStandby(seed, store);
      try (WorkerProcesses workers = WorkerProcesses.start(WORKERS, WorkerMain.class.getName(),
          List.of(seed, "0", "1", self), logs)) {
        List<JobEvent> events = new CopyOnWriteArrayList<>();
        AtomicBoolean killed = new AtomicBoolean();
        JobEvent end = standby.run(spec, WORKERS, Duration.ofSeconds(200), e -> {
          events.add(e);
          if (e instanceof JobEvent.Progress p && p.kind().equals("checkpoint") && !killed.getAndSet(true)) {
            first.kill(0);
          }
        });
        String log = FailureRecoveryTest.progress(events);
        System.err.println("failover events:\n" + log);
        JobEvent.JobSucceeded ok = assertInstanceOf(JobEvent.JobSucceeded.class, end, end + "\n" + log);
        assertTrue(killed.get());
        assertEquals(reference, ok.weightsSha256(), log);
        assertTrue(log.contains("coordinator-moved: the job master moved to " + standby.address()), log);
        assertTrue(log.contains("restored: restored step 2 from "), log);
      } finally {
        standby.close();
      }
    }
  }

  static void awaitLine(Path log, String text) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      if (java.nio.file.Files.exists(log) && java.nio.file.Files.readString(log).contains(text)) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no '" + text + "' in " + log + " within 60 s");
  }

  private static ClusterNode startStandby(String seed, String store) {
    return ClusterNode.start("127.0.0.1", 0, List.of(seed), List.of("coordinator"), 0,
        ConfigFactory.empty().withValue("tandem.cluster.job-store", ConfigValueFactory.fromAnyRef(store)));
  }
}
