package io.tandem.actors.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.actors.JobEvent;
import io.tandem.proto.JobHistory;
import io.tandem.proto.JobHistoryEvent;
import io.tandem.proto.JobSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole cluster stops at once (issue 14): mid-run, the coordinator's JVM and both workers'
 * JVMs are SIGKILLed, so no peer memory survives. A new coordinator started on the same job store
 * and two new workers resume the job from its last disk checkpoint by themselves (nobody submits
 * it again), and it ends with bitwise the weights of an uninterrupted run.
 */
@Timeout(value = 240)
class WholeClusterRestartTest {
  static final int WORKERS = 2;
  @TempDir Path dir;

  @Test
  void wholeClusterKilledAndRestarted_resumesFromDisk_bitwiseEqual() throws Exception {
    JobSpec spec = FailureRecoveryTest.spec("restart", WORKERS, 2, dir).toBuilder().setSteps(30).build();
    String reference = FailureRecoveryTest.referenceOf(spec.toBuilder().setCheckpointEvery(0).build());
    String store = dir.resolve("jobs").toString();
    JobStore jobStore = new JobStore(Path.of(store));
    Path logs = Path.of("target", "whole-cluster-restart-test-logs");
    String self = Long.toString(WorkerProcesses.selfPid());

    int port = CoordinatorFailoverTest.freePort();
    try (WorkerProcesses coordinator = WorkerProcesses.start(1, CoordinatorMain.class.getName(),
        List.of(Integer.toString(port), store, self), logs.resolve("first-coordinator"));
         WorkerProcesses workers = WorkerProcesses.start(WORKERS, WorkerMain.class.getName(),
             List.of("127.0.0.1:" + port, "0", "1", self), logs.resolve("first-workers"))) {
      CoordinatorFailoverTest.awaitLine(coordinator.logs().get(0), "up, job store");
      ClusterNode client = ClusterNode.start("127.0.0.1", 0, List.of("127.0.0.1:" + port), List.of(), 0);
      CountDownLatch killed = new CountDownLatch(1);
      CompletableFuture<JobEvent> end;
      try {
        end = client.submit(spec, WORKERS, e -> {
          if (e instanceof JobEvent.Progress p && p.kind().equals("checkpoint") && p.message().contains("step-4")) {
            CoordinatorFailoverTest.awaitRecorded(jobStore, "restart", "checkpoint");
            coordinator.kill(0); // the whole cluster at once, mid-run
            workers.kill(0);
            workers.kill(1);
            killed.countDown();
          }
        });
        assertTrue(killed.await(120, TimeUnit.SECONDS), "checkpoint step-4 within 120 s: " + end);
      } finally {
        client.close();
      }
      assertTrue(!(end.getNow(null) instanceof JobEvent.JobSucceeded), "the job was still running when killed");
    }

    int port2 = CoordinatorFailoverTest.freePort();
    try (WorkerProcesses coordinator = WorkerProcesses.start(1, CoordinatorMain.class.getName(),
        List.of(Integer.toString(port2), store, self), logs.resolve("second-coordinator"));
         WorkerProcesses workers = WorkerProcesses.start(WORKERS, WorkerMain.class.getName(),
             List.of("127.0.0.1:" + port2, "0", "1", self), logs.resolve("second-workers"))) {
      JobHistory h = awaitEnded(jobStore, "restart", Duration.ofSeconds(150));
      String log = h.getEventsList().stream().map(e -> e.getKind() + ": " + e.getMessage())
          .collect(Collectors.joining("\n"));
      System.err.println("whole-cluster restart events:\n" + log);
      assertEquals("SUCCEEDED", h.getStatus(), h.getError() + "\n" + log + "\n(logs in " + logs + ")");
      assertEquals(reference, h.getWeightsSha256(), "weights after a whole-cluster restart\n" + log);
      List<String> kinds = h.getEventsList().stream().map(JobHistoryEvent::getKind).toList();
      assertTrue(kinds.indexOf("coordinator-moved") > kinds.indexOf("checkpoint"), log);
      assertTrue(log.contains("restored: restored step ") && log.contains(dir.resolve("restart").toString()),
          "restored from a disk checkpoint\n" + log);
      assertTrue(!log.contains("from peer memory"), "no peer memory survives a whole-cluster stop\n" + log);
      io.tandem.proto.CheckpointManifest last = new io.tandem.actors.checkpoint.CheckpointStore(
          dir.resolve("restart"), 2).latestValid(skipped -> { }).orElseThrow().manifest();
      assertTrue(last.getFilesList().stream().allMatch(f -> f.getNode().startsWith("pekko://tandem@127.0.0.1:")),
          "the manifest names the node each layer file lives on: " + last.getFilesList());
    }
  }

  /** Polls job {@code id}'s recorded history until its status is final. */
  static JobHistory awaitEnded(JobStore store, String id, Duration limit) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    JobHistory h = null;
    while (System.nanoTime() < deadline) {
      h = store.history(id).history();
      if (h != null && List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(h.getStatus())) {
        return h;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("job " + id + " did not end within " + limit.toSeconds() + " s after the restart; last: "
        + h);
  }
}
