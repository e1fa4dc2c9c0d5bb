package io.tandem.actors.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.actors.JobEvent;
import io.tandem.actors.checkpoint.CheckpointStore;
import io.tandem.proto.CheckpointManifest;
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
 * The whole cluster stops at once (issue 14), on nodes without a shared file system: each worker
 * keeps its layer files on its own disk ({@code tandem.cluster.disk-root}), the coordinator only
 * the manifests. Mid-run the coordinator's JVM and both workers' JVMs are SIGKILLed, so no peer
 * memory survives, and one layer file of the newest checkpoint is deleted from its node's disk. A
 * new coordinator on the same job store and the two workers restarted on their disks (same
 * addresses) resume the job by themselves (nobody submits it again): the newest checkpoint cannot
 * be restored, so the one before it is, and the job ends with bitwise the weights of an
 * uninterrupted run. Then the second worker leaves and a worker with an empty disk joins: a job
 * resumed from a checkpoint of the first waits for the second to come back with its disk, fetches
 * its layer files from it, and ends with the same weights.
 */
@Timeout(value = 300)
class WholeClusterRestartTest {
  static final int WORKERS = 2;
  @TempDir Path dir;

  @Test
  void wholeClusterKilledAndRestarted_resumesFromNodeDisks_bitwiseEqual() throws Exception {
    JobSpec spec = FailureRecoveryTest.spec("restart", WORKERS, 2, dir).toBuilder().setSteps(30).build();
    String reference = FailureRecoveryTest.referenceOf(spec.toBuilder().setCheckpointEvery(0).build());
    String store = dir.resolve("jobs").toString();
    JobStore jobStore = new JobStore(Path.of(store));
    Path logs = Path.of("target", "whole-cluster-restart-test-logs");
    String self = Long.toString(WorkerProcesses.selfPid());
    List<Integer> ports = List.of(CoordinatorFailoverTest.freePort(), CoordinatorFailoverTest.freePort());
    List<Path> disks = List.of(dir.resolve("disk-1"), dir.resolve("disk-2"));
    Path manifests = dir.resolve("restart");

    int port = CoordinatorFailoverTest.freePort();
    long newest;
    List<WorkerProcesses> workers = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (WorkerProcesses coordinator = WorkerProcesses.start(1, CoordinatorMain.class.getName(),
        List.of(Integer.toString(port), store, self), logs.resolve("first-coordinator"))) {
      for (int i = 0; i < WORKERS; i++) {
        workers.add(worker(port, ports.get(i), disks.get(i), logs.resolve("first-worker-" + i)));
      }
      CoordinatorFailoverTest.awaitLine(coordinator.logs().get(0), "up, job store");
      ClusterNode client = ClusterNode.start("127.0.0.1", 0, List.of("127.0.0.1:" + port), List.of(), 0);
      CountDownLatch killed = new CountDownLatch(1);
      CompletableFuture<JobEvent> end;
      try {
        end = client.submit(spec, WORKERS, e -> {
          if (e instanceof JobEvent.Progress p && p.kind().equals("checkpoint") && p.message().contains("step-4")) {
            CoordinatorFailoverTest.awaitRecorded(jobStore, "restart", "checkpoint");
            coordinator.kill(0); // the whole cluster at once, mid-run
            workers.forEach(w -> w.kill(0));
            killed.countDown();
          }
        });
        assertTrue(killed.await(120, TimeUnit.SECONDS), "checkpoint step-4 within 120 s: " + end);
      } finally {
        client.close();
        workers.forEach(WorkerProcesses::close);
        workers.clear();
      }
      assertTrue(!(end.getNow(null) instanceof JobEvent.JobSucceeded), "the job was still running when killed");
      newest = new CheckpointStore(manifests, 2).committedSteps().get(0);
      // a layer file of the newest checkpoint is lost with its node's disk sector
      Path lost = layerFiles(disks.get(1).resolve(manifests.getRoot().relativize(manifests)), newest).get(0);
      java.nio.file.Files.delete(lost);
    }

    int port2 = CoordinatorFailoverTest.freePort();
    try (WorkerProcesses coordinator = WorkerProcesses.start(1, CoordinatorMain.class.getName(),
        List.of(Integer.toString(port2), store, self), logs.resolve("second-coordinator"))) {
      for (int i = 0; i < WORKERS; i++) { // the same nodes (addresses) with their disks
        workers.add(worker(port2, ports.get(i), disks.get(i), logs.resolve("second-worker-" + i)));
      }
      try {
        JobHistory h = awaitEnded(jobStore, "restart", Duration.ofSeconds(150));
        String log = h.getEventsList().stream().map(e -> e.getKind() + ": " + e.getMessage())
            .collect(Collectors.joining("\n"));
        System.err.println("whole-cluster restart events:\n" + log);
        assertEquals("SUCCEEDED", h.getStatus(), h.getError() + "\n" + log + "\n(logs in " + logs + ")");
        assertEquals(reference, h.getWeightsSha256(), "weights after a whole-cluster restart\n" + log);
        List<String> kinds = h.getEventsList().stream().map(JobHistoryEvent::getKind).toList();
        assertTrue(kinds.indexOf("coordinator-moved") > kinds.indexOf("checkpoint"), log);
        assertTrue(log.contains("checkpoint-unusable: restoring checkpoint step-" + newest + " failed")
            && log.contains("is missing"), "the newest checkpoint lost a file: named, and not restored\n" + log);
        assertTrue(log.contains("restored: restored step " + (newest - 2) + " from " + manifests),
            "restored the checkpoint before it from disk\n" + log);
        assertTrue(!log.contains("from peer memory"), "no peer memory survives a whole-cluster stop\n" + log);

        // no shared file system: the coordinator holds manifests only, each node's disk its own layers
        CheckpointManifest last = new CheckpointStore(manifests, 2).latestValid(m -> { }, java.util.Set.of(), true)
            .orElseThrow().manifest();
        assertTrue(layerFiles(manifests, last.getStep()).isEmpty(), "layer files on the coordinator");
        java.util.Set<String> nodes = new java.util.TreeSet<>();
        java.util.Set<String> onDisks = new java.util.TreeSet<>();
        for (Path disk : disks) {
          List<Path> files = layerFiles(disk.resolve(manifests.getRoot().relativize(manifests)), last.getStep());
          assertTrue(!files.isEmpty(), disk + " holds layer files of step-" + last.getStep());
          for (Path f : files) {
            assertTrue(onDisks.add(f.getFileName().toString()), f + " is on both disks");
          }
        }
        last.getFilesList().forEach(f -> nodes.add(f.getNode()));
        assertEquals(WORKERS, nodes.size(), "the manifest names both nodes: " + last.getFilesList());
        assertEquals(last.getFilesCount(), onDisks.size(), "every layer file is on one disk");

        // the second node leaves and a node with an empty disk takes its place: a job resumed from
        // step `from` on the first and the new node waits for the second to come back with its disk,
        // then fetches that node's layer files from it
        long from = new CheckpointStore(manifests, 2).committedSteps().get(1);
        workers.remove(1).close();
        workers.add(worker(port2, CoordinatorFailoverTest.freePort(), dir.resolve("disk-3"),
            logs.resolve("third-worker")));
        ClusterNode client = ClusterNode.start("127.0.0.1", 0, List.of("127.0.0.1:" + port2), List.of(), 0);
        List<String> moved = new java.util.concurrent.CopyOnWriteArrayList<>();
        try {
          JobEvent end = client.submit(spec.toBuilder().setJobId("restart-moved").setResumeStep(from)
              .setCheckpointEvery(0).build(), WORKERS, e -> {
                if (e instanceof JobEvent.Progress p) {
                  moved.add(p.kind() + ": " + p.message());
                  if (p.kind().equals("waiting-for-files")) { // the second node comes back with its disk
                    java.util.concurrent.CompletableFuture.runAsync(() -> workers.add(worker(port2, ports.get(1),
                        disks.get(1), logs.resolve("second-worker-back"))));
                  }
                }
              }).get(180, TimeUnit.SECONDS);
          String movedLog = String.join("\n", moved);
          assertInstanceOf(JobEvent.JobSucceeded.class, end, end + "\n" + movedLog);
          assertEquals(reference, ((JobEvent.JobSucceeded) end).weightsSha256(),
              "resumed from step-" + from + " on a node without its files\n" + movedLog);
          assertTrue(movedLog.contains("waiting-for-files: checkpoint step-" + from + " keeps layers ")
              && movedLog.contains("holders-joined: "), movedLog);
        } finally {
          client.close();
        }
      } finally {
        workers.forEach(WorkerProcesses::close);
      }
    }
  }

  /** A worker JVM on {@code port} whose own disk is {@code disk}. */
  private static WorkerProcesses worker(int seedPort, int port, Path disk, Path logs) {
    return WorkerProcesses.start(1, WorkerMain.class.getName(), List.of("127.0.0.1:" + seedPort,
        Integer.toString(port), "1", Long.toString(WorkerProcesses.selfPid()), disk.toString()), logs);
  }

  /** The layer files of checkpoint step {@code step} under checkpoint directory {@code root}. */
  private static List<Path> layerFiles(Path root, long step) throws java.io.IOException {
    Path stepDir = root.resolve("step-" + step);
    if (!java.nio.file.Files.isDirectory(stepDir)) {
      return List.of();
    }
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(stepDir)) {
      return files.filter(f -> f.getFileName().toString().startsWith("layer-")).sorted().toList();
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
