package io.tandem.actors.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.actors.JobEvent;
import io.tandem.proto.JobSpec;
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
 * Issue 14: when the survivors cannot hold the model, the job pauses with one line naming the
 * memory it needs and the budget, and resumes when a node joins, with the uninterrupted weights.
 */
@Timeout(value = 240)
class PausedRecoveryTest {
  @TempDir Path checkpoints;

  @Test
  void survivorsTooSmallForTheModel_jobPausesSayingWhy_andResumesWhenANodeJoins() throws Exception {
    double budget = io.tandem.actors.coordinator.RecoveryPlannerTest.budgetFitting1f1bOnThreeNotTwo();
    JobSpec spec = JobSpec.newBuilder().setJobId("too-small").setBackend("cpu").setModel("gpt-tiny").setSchedule("1f1b")
        .setDevices(3).setMicrobatches(8).setMicrobatchSize(1).setSteps(12).setSeed(3).setLearningRate(0.003)
        .setClipNorm(1.0).setDataset("corpus").setOptimizer("adamw").setStepTimeoutS(60)
        .setCheckpointDir(checkpoints.resolve("too-small").toString()).setCheckpointEvery(2).setKeepCheckpoints(2)
        .setDeviceMemoryBytes(budget).build();
    String reference = FailureRecoveryTest.referenceOf(spec.toBuilder().setCheckpointEvery(0).build());
    List<String> workerArgs = List.of("127.0.0.1:PORT", "0", "1", Long.toString(WorkerProcesses.selfPid()));
    try (ClusterNode coordinator = ClusterNode.start("127.0.0.1", 0, List.of(), List.of("coordinator"), 0);
         WorkerProcesses workers = WorkerProcesses.start(3, WorkerMain.class.getName(), args(workerArgs, coordinator),
             Path.of("target", "paused-recovery-test-logs"))) {
      List<JobEvent> events = new CopyOnWriteArrayList<>();
      AtomicBoolean killed = new AtomicBoolean();
      AtomicReference<WorkerProcesses> joiner = new AtomicReference<>();
      try {
        JobEvent end = coordinator.run(spec, 3, Duration.ofSeconds(200), e -> {
          events.add(e);
          if (e instanceof JobEvent.StepCompleted s && s.step() >= 3 && !killed.getAndSet(true)) {
            workers.kill(1);
          }
          if (e instanceof JobEvent.Progress p && p.kind().equals("paused") && joiner.get() == null) {
            joiner.set(WorkerProcesses.start(1, WorkerMain.class.getName(), args(workerArgs, coordinator),
                Path.of("target", "paused-recovery-test-logs", "joiner")));
          }
        });
        String log = FailureRecoveryTest.progress(events);
        System.err.println("paused events:\n" + log);
        JobEvent.JobSucceeded ok = assertInstanceOf(JobEvent.JobSucceeded.class, end,
            end + "\n" + log + "\n(worker logs in " + workers.logs() + ")");
        assertEquals(reference, ok.weightsSha256(), "weights after a pause for memory\n" + log);
        assertTrue(log.contains("paused: job too-small paused: nothing fits 2 device(s) under the"), log);
        assertTrue(log.contains("it resumes from its last snapshot or checkpoint when more nodes join"), log);
        assertTrue(log.contains("(needs ") && log.contains(", has "), "the memory needed and available\n" + log);
        assertTrue(log.contains("from peer memory"), "the survivors' snapshots restore the joiner too\n" + log);
        assertTrue(log.contains("re-planning the paused job with it"), log);
        assertTrue(log.contains("re-planned to schedule 1f1b on 3 device(s)"), log);
      } finally {
        if (joiner.get() != null) {
          joiner.get().close();
        }
      }
    }
  }

  private static List<String> args(List<String> template, ClusterNode coordinator) {
    return template.stream().map(a -> a.replace("PORT", Integer.toString(coordinator.port()))).toList();
  }
}
