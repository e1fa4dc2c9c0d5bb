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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several faults at once (issue 14): two of four worker JVMs SIGKILLed in the same instant,
 * mid-run. Both are confirmed gone by the crash probe and downed; the job re-plans over the two
 * survivors, restores the last checkpoint and ends with bitwise the weights of an uninterrupted run.
 */
@Timeout(value = 240)
class SimultaneousFaultsTest {
  static final int WORKERS = 4;
  @TempDir Path checkpoints;

  @Test
  void twoWorkersKilledAtOnce_jobFinishesOnTheTwoSurvivors_bitwiseEqual() throws Exception {
    JobSpec spec = FailureRecoveryTest.spec("two-at-once", WORKERS, 2, checkpoints);
    String reference = FailureRecoveryTest.referenceOf(spec.toBuilder().setCheckpointEvery(0).build());
    try (ClusterNode coordinator = ClusterNode.start("127.0.0.1", 0, List.of(), List.of("coordinator"), 0);
         WorkerProcesses workers = WorkerProcesses.start(WORKERS, WorkerMain.class.getName(),
             List.of("127.0.0.1:" + coordinator.port(), "0", "1", Long.toString(WorkerProcesses.selfPid())),
             Path.of("target", "simultaneous-faults-test-logs"))) {
      List<JobEvent> events = new CopyOnWriteArrayList<>();
      AtomicBoolean checkpointed = new AtomicBoolean();
      AtomicBoolean killed = new AtomicBoolean();
      JobEvent end = coordinator.run(spec, WORKERS, Duration.ofSeconds(200), e -> {
        events.add(e);
        if (e instanceof JobEvent.Progress p && p.kind().equals("checkpoint")) {
          checkpointed.set(true);
        }
        if (e instanceof JobEvent.StepCompleted s && checkpointed.get() && s.step() >= 2 && !killed.getAndSet(true)) {
          workers.kill(1);
          workers.kill(2);
        }
      });
      String log = FailureRecoveryTest.progress(events);
      System.err.println("two-at-once events:\n" + log);
      JobEvent.JobSucceeded ok = assertInstanceOf(JobEvent.JobSucceeded.class, end,
          end + "\n" + log + "\n(worker logs in " + workers.logs() + ")");
      assertTrue(killed.get(), "two workers were killed");
      assertEquals(reference, ok.weightsSha256(), "weights after losing two of four workers at once\n" + log);
      assertEquals(2, log.lines().filter(l -> l.startsWith("downed: node ")).count(), log);
      assertEquals(2, log.lines().filter(l -> l.startsWith("downed: node ") && l.contains("(its process was gone)"))
          .count(), "both crashes confirmed by the probe, the second one while the job recovers\n" + log);
      assertTrue(log.contains("on 2 device(s)"), "the job ends on the two survivors\n" + log);
      assertEquals(WORKERS - 2, workers.alive());
    }
  }

  /**
   * A second worker dies while the job recovers from the first (killed when the re-plan over the
   * three survivors is reported, before its workers run a step): the job re-plans again over the
   * two left and still ends with the uninterrupted weights.
   */
  @Test
  void anotherWorkerKilledWhileTheJobRecovers_jobFinishesOnTheTwoLeft_bitwiseEqual() throws Exception {
    JobSpec spec = FailureRecoveryTest.spec("during-recovery", WORKERS, 2, checkpoints);
    String reference = FailureRecoveryTest.referenceOf(spec.toBuilder().setCheckpointEvery(0).build());
    try (ClusterNode coordinator = ClusterNode.start("127.0.0.1", 0, List.of(), List.of("coordinator"), 0);
         WorkerProcesses workers = WorkerProcesses.start(WORKERS, WorkerMain.class.getName(),
             List.of("127.0.0.1:" + coordinator.port(), "0", "1", Long.toString(WorkerProcesses.selfPid())),
             Path.of("target", "simultaneous-faults-test-logs", "during-recovery"))) {
      List<JobEvent> events = new CopyOnWriteArrayList<>();
      AtomicBoolean first = new AtomicBoolean();
      AtomicBoolean second = new AtomicBoolean();
      JobEvent end = coordinator.run(spec, WORKERS, Duration.ofSeconds(200), e -> {
        events.add(e);
        if (e instanceof JobEvent.StepCompleted s && s.step() >= 3 && !first.getAndSet(true)) {
          workers.kill(0);
        }
        if (e instanceof JobEvent.Progress p && p.kind().equals("re-planned") && first.get()
            && !second.getAndSet(true)) {
          workers.kill(3); // the job is between its re-plan and its first step on three devices
        }
      });
      String log = FailureRecoveryTest.progress(events);
      System.err.println("during-recovery events:\n" + log);
      JobEvent.JobSucceeded ok = assertInstanceOf(JobEvent.JobSucceeded.class, end,
          end + "\n" + log + "\n(worker logs in " + workers.logs() + ")");
      assertTrue(second.get(), "the second worker was killed during the recovery");
      assertEquals(reference, ok.weightsSha256(), "weights after a second loss during recovery\n" + log);
      assertEquals(2, log.lines().filter(l -> l.startsWith("downed: node ")).count(), log);
      assertTrue(log.contains("on 2 device(s)"), "the job ends on the two left\n" + log);
      assertEquals(WORKERS - 2, workers.alive());
    }
  }

  /**
   * A {@code --devices 6} job on six worker JVMs loses half of them in the same instant: the three
   * survivors hold the model, so the job re-plans over them and finishes bitwise equal.
   */
  @Test
  void sixWorkersLoseThreeAtOnce_jobFinishesOnTheThreeSurvivors_bitwiseEqual() throws Exception {
    int six = 6;
    JobSpec spec = FailureRecoveryTest.spec("six-lose-three", six, 2, checkpoints);
    String reference = FailureRecoveryTest.referenceOf(spec.toBuilder().setCheckpointEvery(0).build());
    try (ClusterNode coordinator = ClusterNode.start("127.0.0.1", 0, List.of(), List.of("coordinator"), 0);
         WorkerProcesses workers = WorkerProcesses.start(six, WorkerMain.class.getName(),
             List.of("127.0.0.1:" + coordinator.port(), "0", "1", Long.toString(WorkerProcesses.selfPid())),
             Path.of("target", "simultaneous-faults-test-logs", "six"))) {
      List<JobEvent> events = new CopyOnWriteArrayList<>();
      AtomicBoolean killed = new AtomicBoolean();
      JobEvent end = coordinator.run(spec, six, Duration.ofSeconds(200), e -> {
        events.add(e);
        if (e instanceof JobEvent.StepCompleted s && s.step() >= 3 && !killed.getAndSet(true)) {
          workers.kill(0);
          workers.kill(2);
          workers.kill(5);
        }
      });
      String log = FailureRecoveryTest.progress(events);
      System.err.println("six-lose-three events:\n" + log);
      JobEvent.JobSucceeded ok = assertInstanceOf(JobEvent.JobSucceeded.class, end,
          end + "\n" + log + "\n(worker logs in " + workers.logs() + ")");
      assertTrue(killed.get(), "three workers were killed");
      assertEquals(reference, ok.weightsSha256(), "weights after losing three of six workers at once\n" + log);
      assertEquals(3, log.lines().filter(l -> l.startsWith("downed: node ")).count(), log);
      assertTrue(log.contains("on 3 device(s)"), "the job ends on the three survivors\n" + log);
      assertEquals(six - 3, workers.alive());
    }
  }
}
