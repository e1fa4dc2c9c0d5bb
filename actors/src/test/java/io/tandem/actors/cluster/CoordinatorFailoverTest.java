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
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator's JVM is killed mid-run: the job master singleton moves to the other
 * coordinator-role member (this JVM), which resumes the job from its last checkpoint; the
 * weights end bitwise equal to an uninterrupted run, and this member's admin API, which never
 * heard of the job before, shows its whole history: the events from before the kill, the
 * take-over, then the recovery.
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

  /** What a failover run saw: its end, its progress events (one per line) and the standby it ran from. */
  private record Failover(JobEvent end, String log, ClusterNode standby) {}

  /** A check of a failover run, while the standby still runs. */
  private interface Check {
    void check(Failover run) throws Exception;
  }

  /**
   * Runs {@code spec} over {@link #WORKERS} worker JVMs, submitted from this JVM's standby
   * coordinator-role member while a coordinator JVM that founded the cluster (job store in
   * {@code dir/jobs}) holds the job master. At the first committed checkpoint, once the job
   * store has recorded it, {@code atCheckpoint} gets the coordinator JVM (index 0) and the workers
   * to kill. {@code check} runs after the job ended, the standby still up.
   */
  private void failover(JobSpec spec, Path logs, java.util.function.BiConsumer<WorkerProcesses, WorkerProcesses>
      atCheckpoint, java.util.function.Consumer<ClusterNode> beforeSubmit, Check check) throws Exception {
    int port = freePort();
    String seed = "127.0.0.1:" + port;
    String store = dir.resolve("jobs").toString();
    String self = Long.toString(WorkerProcesses.selfPid());
    try (WorkerProcesses first = WorkerProcesses.start(1, CoordinatorMain.class.getName(),
        List.of(Integer.toString(port), store, self), logs.resolve("coordinator"))) {
      awaitLine(first.logs().get(0), "up, job store"); // join a running seed: no join retries
      ClusterNode standby = startStandby(seed, store);
      JobStore jobStore = new JobStore(Path.of(store));
      try (WorkerProcesses workers = WorkerProcesses.start(WORKERS, WorkerMain.class.getName(),
          List.of(seed, "0", "1", self), logs)) {
        beforeSubmit.accept(standby);
        List<JobEvent> events = new CopyOnWriteArrayList<>();
        AtomicBoolean killed = new AtomicBoolean();
        JobEvent end = standby.run(spec, WORKERS, Duration.ofSeconds(200), e -> {
          events.add(e);
          if (e instanceof JobEvent.Progress p && p.kind().equals("checkpoint") && !killed.getAndSet(true)) {
            awaitRecorded(jobStore, spec.getJobId(), "checkpoint"); // the history write follows the event at once
            atCheckpoint.accept(first, workers);
          }
        });
        String log = FailureRecoveryTest.progress(events);
        System.err.println(spec.getJobId() + " events:\n" + log);
        assertTrue(killed.get(), "the kill happened\n" + log);
        check.check(new Failover(end, log, standby));
        assertTrue(log.contains("coordinator-moved: the job master moved to " + standby.address()), log);
      } finally {
        standby.close();
      }
    }
  }

  @Test
  void killedCoordinatorJvm_singletonMoves_jobResumesFromLastManifest_bitwiseEqual() throws Exception {
    JobSpec spec = FailureRecoveryTest.spec("failover", WORKERS, 2, dir);
    String reference = FailureRecoveryTest.referenceOf(spec.toBuilder().setCheckpointEvery(0).build());
    java.util.concurrent.atomic.AtomicLong killedMs = new java.util.concurrent.atomic.AtomicLong();
    java.util.concurrent.atomic.AtomicReference<io.tandem.actors.admin.AdminServer> admin =
        new java.util.concurrent.atomic.AtomicReference<>();
    try {
      failover(spec, Path.of("target", "failover-test-logs"), (coordinator, workers) -> {
        killedMs.set(System.currentTimeMillis());
        coordinator.kill(0);
      }, standby -> admin.set(io.tandem.actors.admin.AdminServer.start(standby, "127.0.0.1", 0,
          JobHistoryTakeOverTest.TOKEN, List.of())), run -> {
        JobEvent.JobSucceeded ok = assertInstanceOf(JobEvent.JobSucceeded.class, run.end(), run.end() + "\n" + run.log());
        assertEquals(reference, ok.weightsSha256(), run.log());
        assertTrue(run.log().contains("restored: restored step 2 from "), run.log());

        com.fasterxml.jackson.databind.JsonNode job = JobHistoryTakeOverTest.get(admin.get(), "/jobs/failover");
        List<String> kinds = JobHistoryTakeOverTest.kinds(job);
        com.fasterxml.jackson.databind.JsonNode shown = job.get("events");
        int checkpoint = kinds.indexOf("checkpoint");
        int moved = kinds.indexOf("coordinator-moved");
        int restored = kinds.indexOf("restored");
        assertTrue(checkpoint >= 0 && checkpoint < moved && moved < restored, job.toString());
        assertTrue(shown.get(checkpoint).get("timeMs").asLong() <= killedMs.get(), job.toString());
        assertTrue(shown.get(checkpoint).get("message").asText().contains("step-2"), job.toString());
        assertEquals("SUCCEEDED", job.get("status").asText(), job.toString());
        assertEquals(reference, job.get("weightsSha256").asText(), job.toString());
        assertEquals(0, job.get("losses").get(0).get(0).asLong(), "the steps before the kill: " + job);
        assertTrue(job.get("recoveries").asInt() >= 1, job.toString());
      });
    } finally {
      if (admin.get() != null) {
        admin.get().close();
      }
    }
  }

  /**
   * The coordinator's JVM and a worker's die in the same instant: the job master that takes over
   * finds two of the job's three nodes, resumes on them re-planned over two devices, and the
   * weights still end bitwise equal to an uninterrupted run.
   */
  @Test
  void coordinatorAndAWorkerKilledTogether_jobResumesOnTheTwoLeft_bitwiseEqual() throws Exception {
    JobSpec spec = FailureRecoveryTest.spec("both", WORKERS, 2, dir).toBuilder().setSteps(12).build();
    String reference = FailureRecoveryTest.referenceOf(spec.toBuilder().setCheckpointEvery(0).build());
    AtomicReference<WorkerProcesses> workersSeen = new AtomicReference<>();
    failover(spec, Path.of("target", "failover-test-logs", "with-a-worker"), (coordinator, workers) -> {
      coordinator.kill(0);
      workers.kill(1);
      workersSeen.set(workers);
    }, standby -> { }, run -> {
      JobEvent.JobSucceeded ok = assertInstanceOf(JobEvent.JobSucceeded.class, run.end(), run.end() + "\n" + run.log());
      assertEquals(reference, ok.weightsSha256(), run.log());
      assertTrue(run.log().contains("take-over-short: job both: 2 of its 3 node(s) are there"), run.log());
      assertTrue(run.log().contains("because only 2 of its 3 device(s) are left after the take-over"), run.log());
      assertTrue(run.log().contains(" on 2 device(s)"), run.log());
      assertEquals(WORKERS - 1, workersSeen.get().alive());
    });
  }

  /** Waits (at most 5 s) until job {@code id}'s history in {@code store} holds an event of {@code kind}. */
  static void awaitRecorded(JobStore store, String id, String kind) {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (System.nanoTime() < deadline) {
      io.tandem.proto.JobHistory h = store.history(id).history();
      if (h != null && h.getEventsList().stream().anyMatch(e -> e.getKind().equals(kind))) {
        return;
      }
      java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
    }
    throw new AssertionError("job " + id + "'s history has no '" + kind + "' event within 5 s");
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
