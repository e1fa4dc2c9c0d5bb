package io.tandem.actors.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.tandem.actors.JobConfig;
import io.tandem.actors.JobEvent;
import io.tandem.actors.JobFactory;
import io.tandem.actors.LocalRuntime;
import io.tandem.proto.JobSpec;
import io.tandem.schedule.Schedule;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three worker JVMs, this JVM the coordinator declared with {@code expected-workers = 3}: a job
 * that can never fit is refused at once; two jobs run side by side on disjoint nodes; a job that
 * needs every node waits (saying so) without blocking a later job that fits; each job ends with
 * the weights of its single-job (embedded) run.
 */
@Timeout(value = 300)
class ConcurrentJobsTest {
  static final int WORKERS = 3;
  static ClusterNode coordinator;
  static WorkerProcesses workers;

  /** The events of one submitted job, each with the time it arrived. */
  record Seen(long nanos, JobEvent event) {}

  static JobSpec spec(String id, int devices, int steps) {
    return JobSpec.newBuilder().setJobId(id).setBackend("cpu").setModel("gpt-tiny").setSchedule("1f1b")
        .setDevices(devices).setMicrobatches(4).setMicrobatchSize(1).setSteps(steps).setSeed(17)
        .setLearningRate(0.003).setClipNorm(1.0).setDataset("corpus").setOptimizer("adamw").setStepTimeoutS(60)
        .build();
  }

  static String reference(JobSpec spec) {
    Schedule schedule = JobFactory.schedule(spec);
    JobEvent end = LocalRuntime.run(new JobConfig(spec.getJobId() + "-ref", schedule, spec.getSteps(),
        spec.getClipNorm(), Duration.ofSeconds(60)), JobFactory.provider(spec, schedule), e -> { });
    return assertInstanceOf(JobEvent.JobSucceeded.class, end, end.toString()).weightsSha256();
  }

  @BeforeAll
  static void startCluster() throws InterruptedException {
    coordinator = ClusterNode.start("127.0.0.1", 0, List.of(), List.of("coordinator"), 0,
        ConfigFactory.parseString("tandem.cluster.expected-workers = " + WORKERS));
    workers = WorkerProcesses.start(WORKERS, WorkerMain.class.getName(),
        List.of("127.0.0.1:" + coordinator.port(), "0", "1", Long.toString(WorkerProcesses.selfPid())),
        Path.of("target", "concurrent-jobs-test-logs"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (workersUp() < WORKERS && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    assertEquals(WORKERS, workersUp(), "workers up (logs in " + workers.logs() + ")");
  }

  static long workersUp() {
    long n = 0;
    for (Member m : Cluster.get(coordinator.system()).state().getMembers()) {
      if (m.hasRole("worker") && m.status() == MemberStatus.up()) {
        n++;
      }
    }
    return n;
  }

  @AfterAll
  static void stopCluster() {
    if (workers != null) {
      workers.close();
    }
    if (coordinator != null) {
      coordinator.close();
    }
  }

  static CompletableFuture<JobEvent> submit(JobSpec spec, List<Seen> seen) {
    return coordinator.submit(spec, spec.getDevices(), e -> seen.add(new Seen(System.nanoTime(), e)));
  }

  static long timeOf(List<Seen> seen, Class<? extends JobEvent> kind) {
    return seen.stream().filter(s -> kind.isInstance(s.event())).mapToLong(Seen::nanos).findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind.getSimpleName() + " in " + seen));
  }

  static Set<String> nodesOf(List<Seen> seen) {
    return seen.stream().filter(s -> s.event() instanceof JobEvent.JobStarted).findFirst()
        .map(s -> (Set<String>) new HashSet<>(((JobEvent.JobStarted) s.event()).deviceNodes()))
        .orElseThrow(() -> new AssertionError("never started: " + seen));
  }

  @Test
  void aJobLargerThanTheDeclaredCluster_isRefusedAtOnceWithTheReason() throws Exception {
    List<Seen> seen = new CopyOnWriteArrayList<>();
    JobEvent end = submit(spec("too-big", 40, 2), seen).get(10, TimeUnit.SECONDS);
    JobEvent.JobFailed failed = assertInstanceOf(JobEvent.JobFailed.class, end);
    assertTrue(failed.message().startsWith("refused: job too-big needs 40 worker nodes (one per device) and the"
        + " cluster has "), failed.message());
    assertTrue(failed.message().contains(" up, 3 declared"), failed.message());
    assertEquals(1, seen.size(), "refused without waiting: " + seen);
  }

  @Test
  void jobsRunSideBySideOnDisjointNodes_aWaitingJobBlocksNoLaterOne_eachWithItsSingleJobWeights() throws Exception {
    JobSpec a = spec("side-a", 2, 40);
    JobSpec all = spec("needs-all", 3, 3);
    JobSpec b = spec("side-b", 1, 3);
    List<Seen> seenA = new CopyOnWriteArrayList<>();
    List<Seen> seenAll = new CopyOnWriteArrayList<>();
    List<Seen> seenB = new CopyOnWriteArrayList<>();
    CompletableFuture<JobEvent> endA = submit(a, seenA);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (seenA.stream().noneMatch(s -> s.event() instanceof JobEvent.StepCompleted) && !endA.isDone()
        && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    // submitted in this order: needs-all waits for side-a's nodes; side-b fits the free one and starts
    CompletableFuture<JobEvent> endAll = submit(all, seenAll);
    CompletableFuture<JobEvent> endB = submit(b, seenB);
    JobEvent lastB = endB.get(200, TimeUnit.SECONDS);
    JobEvent lastA = endA.get(200, TimeUnit.SECONDS);
    JobEvent lastAll = endAll.get(200, TimeUnit.SECONDS);
    String logs = " (worker logs in " + workers.logs() + ")";
    assertEquals(reference(a), assertInstanceOf(JobEvent.JobSucceeded.class, lastA, lastA + logs).weightsSha256());
    assertEquals(reference(b), assertInstanceOf(JobEvent.JobSucceeded.class, lastB, lastB + logs).weightsSha256());
    assertEquals(reference(all), assertInstanceOf(JobEvent.JobSucceeded.class, lastAll, lastAll + logs)
        .weightsSha256());

    Set<String> nodesA = nodesOf(seenA);
    Set<String> nodesB = nodesOf(seenB);
    assertEquals(2, nodesA.size(), "side-a on two nodes: " + nodesA);
    assertTrue(nodesA.stream().noneMatch(nodesB::contains), "disjoint: " + nodesA + " and " + nodesB);
    assertTrue(timeOf(seenB, JobEvent.JobStarted.class) < timeOf(seenA, JobEvent.JobSucceeded.class),
        "side-b started while side-a ran");
    assertTrue(timeOf(seenAll, JobEvent.JobStarted.class) > timeOf(seenB, JobEvent.JobStarted.class),
        "the waiting job did not hold side-b back");
    assertTrue(timeOf(seenAll, JobEvent.JobStarted.class) > timeOf(seenA, JobEvent.JobSucceeded.class),
        "needs-all started once side-a's nodes were free");
    JobEvent.Progress waiting = seenAll.stream().map(Seen::event).filter(JobEvent.Progress.class::isInstance)
        .map(JobEvent.Progress.class::cast).filter(p -> p.kind().equals("waiting")).findFirst()
        .orElseThrow(() -> new AssertionError("no waiting event: " + seenAll));
    assertTrue(waiting.message().startsWith("job needs-all waiting for 3 devices, have 1"), waiting.message());
  }

  /**
   * The submit path (the job master, as {@code tandem submit} reaches it) runs data parallelism:
   * 2 replicas of a 1-device pipeline on two worker JVMs, the all-reduce over the data plane,
   * end with the embedded 2-replica run's weights.
   */
  @Test
  void dataParallelJob_submitted_runsTwoReplicasOnTwoNodes_withTheEmbeddedRunsWeights() throws Exception {
    JobSpec dp = spec("dp-submit", 2, 3).toBuilder().setDataParallel(2).setOptimizer("sgd").build();
    Schedule schedule = JobFactory.schedule(dp);
    JobEvent ref = LocalRuntime.run(new JobConfig("dp-submit-ref", schedule, dp.getSteps(), dp.getClipNorm(),
        Duration.ofSeconds(60)), 2, JobFactory.provider(dp, schedule), e -> { });
    List<Seen> seen = new CopyOnWriteArrayList<>();
    JobEvent end = submit(dp, seen).get(200, TimeUnit.SECONDS);
    JobEvent.JobSucceeded ok = assertInstanceOf(JobEvent.JobSucceeded.class, end,
        end + " (worker logs in " + workers.logs() + ")");
    assertEquals(assertInstanceOf(JobEvent.JobSucceeded.class, ref, ref.toString()).weightsSha256(),
        ok.weightsSha256());
    assertEquals(2, nodesOf(seen).size(), "one replica per node: " + seen);
  }
}
