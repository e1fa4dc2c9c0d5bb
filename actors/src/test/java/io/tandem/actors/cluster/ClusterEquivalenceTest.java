package io.tandem.actors.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.actors.JobConfig;
import io.tandem.actors.JobEvent;
import io.tandem.actors.JobFactory;
import io.tandem.actors.LocalRuntime;
import io.tandem.proto.JobSpec;
import io.tandem.schedule.Schedule;
import io.tandem.schedule.ScheduleRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Four worker JVMs on loopback, this JVM the coordinator: training gpt-tiny gives bitwise the
 * weights of the embedded run (which PipelineEquivalenceTest ties to the single-process trainer).
 */
@Timeout(value = 240)
class ClusterEquivalenceTest {
  static final int DEVICES = 4;
  static ClusterNode coordinator;
  static WorkerProcesses workers;
  static String reference;
  static final AtomicInteger JOBS = new AtomicInteger();

  static JobSpec spec(String schedule) {
    return JobSpec.newBuilder().setJobId("cluster-" + schedule + "-" + JOBS.incrementAndGet()).setBackend("cpu")
        .setModel("gpt-tiny").setSchedule(schedule).setDevices(DEVICES).setMicrobatches(8).setMicrobatchSize(1)
        .setSteps(2).setSeed(11).setLearningRate(0.003).setClipNorm(1.0).setDataset("corpus").setOptimizer("adamw")
        .setStepTimeoutS(60).build();
  }

  @BeforeAll
  static void startCluster() {
    coordinator = ClusterNode.start("127.0.0.1", 0, List.of(), List.of("coordinator"), 0);
    workers = WorkerProcesses.start(DEVICES, WorkerMain.class.getName(),
        List.of("127.0.0.1:" + coordinator.port(), "0", "1", Long.toString(WorkerProcesses.selfPid())),
        Path.of("target", "cluster-test-logs"));
    JobSpec ref = spec("1f1b");
    Schedule schedule = JobFactory.schedule(ref);
    JobEvent end = LocalRuntime.run(new JobConfig(ref.getJobId(), schedule, ref.getSteps(), ref.getClipNorm(),
        Duration.ofSeconds(60)), JobFactory.provider(ref, schedule), e -> { });
    reference = assertInstanceOf(JobEvent.JobSucceeded.class, end, end.toString()).weightsSha256();
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

  static Stream<String> schedules() {
    return Stream.of("1f1b", ScheduleRegistry.names().contains("v-half") ? "v-half" : "zb-h1");
  }

  /** Issue 13: recomputation on worker JVMs changes memory, never the weights. */
  @Test
  void recomputingOnWorkerJvms_isBitwiseEqualToEmbeddedRun() {
    JobSpec spec = spec("v-zb").toBuilder().setRecompute("all").build();
    JobEvent end = coordinator.run(spec, DEVICES, Duration.ofSeconds(200), e -> { });
    JobEvent.JobSucceeded ok = assertInstanceOf(JobEvent.JobSucceeded.class, end,
        end + " (worker logs in " + workers.logs() + ")");
    assertEquals(reference, ok.weightsSha256(), "v-zb recomputing across JVMs");
  }

  @ParameterizedTest(name = "{0} on 4 worker JVMs")
  @MethodSource("schedules")
  void trainingOnWorkerJvms_isBitwiseEqualToEmbeddedRun(String schedule) {
    JobEvent end = coordinator.run(spec(schedule), DEVICES, Duration.ofSeconds(200), e -> { });
    JobEvent.JobSucceeded ok = assertInstanceOf(JobEvent.JobSucceeded.class, end,
        end + " (worker logs in " + workers.logs() + ")");
    assertEquals(reference, ok.weightsSha256(), schedule + " across JVMs");
    assertEquals(DEVICES, workers.alive());
  }

  /**
   * Data parallelism across JVMs: 2 replicas x 2 stages, one device per worker JVM, so pipeline
   * tensors and the gradient all-reduce (for 2bw: the exchange at each update) all cross the data
   * plane; the weights are bitwise those of the embedded 2-replica run (which
   * DataParallelEquivalenceTest and TwoBwSemanticsTest tie to their references).
   */
  @ParameterizedTest(name = "{0}: 2 replicas x 2 stages on 4 worker JVMs")
  @org.junit.jupiter.params.provider.ValueSource(strings = {"1f1b", "zb-h1", "2bw"})
  void dataParallel_onWorkerJvms_isBitwiseEqualToEmbeddedRun(String schedule) {
    JobSpec dp = spec(schedule).toBuilder().setDataParallel(2).setOptimizer("sgd").build();
    io.tandem.actors.JobSpecs.check(dp);
    Schedule s = JobFactory.schedule(dp);
    JobEvent ref = LocalRuntime.run(new JobConfig("dp-ref-" + schedule, s, dp.getSteps(), dp.getClipNorm(),
        Duration.ofSeconds(60)), 2, JobFactory.provider(dp, s), e -> { });
    JobEvent end = coordinator.run(dp, DEVICES, Duration.ofSeconds(200), e -> { });
    JobEvent.JobSucceeded ok = assertInstanceOf(JobEvent.JobSucceeded.class, end,
        end + " (worker logs in " + workers.logs() + ")");
    assertEquals(assertInstanceOf(JobEvent.JobSucceeded.class, ref, ref.toString()).weightsSha256(), ok.weightsSha256(),
        schedule + ", 2 replicas x 2 stages across JVMs");
  }

  @Test
  void unknownSchedule_failsTheJobWithItsName() {
    JobEvent end = coordinator.run(spec("no-such-schedule"), DEVICES, Duration.ofSeconds(60), e -> { });
    JobEvent.JobFailed failed = assertInstanceOf(JobEvent.JobFailed.class, end);
    assertTrue(failed.message().contains("no-such-schedule"), failed.message());
  }

  /**
   * Nothing bulk over Artery: stages of about 13 MB each (above Artery's old 8 MiB frame) train
   * on two worker JVMs while Artery's frame limit is 256 KiB, and end with the one-device weights.
   */
  @Test
  void stagesLargerThanArteryFrames_train_underTheControlMessageLimit() {
    long limit = coordinator.config().getBytes("pekko.remote.artery.advanced.maximum-frame-size");
    assertTrue(limit <= 256 * 1024, "Artery's frame limit is a control-message limit: " + limit);
    String model = "gpt:layers=2,hidden=512,heads=8,seq=16,vocab=256";
    io.tandem.model.ModelSpec shape = io.tandem.model.ModelShapes.parse(model);
    assertTrue(shape.build(io.tandem.kernels.CpuBackend.create(1), 3, 0, 2).parameterCount() * 4 > 8L << 20,
        "stage 0 (embedding and the first block) holds more than 8 MiB");
    JobSpec big = spec("1f1b").toBuilder().setJobId("big-" + JOBS.incrementAndGet()).setModel(model).setDevices(2)
        .setMicrobatches(2).setSteps(1).setSeed(3).build();
    JobSpec one = big.toBuilder().setDevices(1).build();
    Schedule oneDevice = JobFactory.schedule(one);
    JobEvent ref = LocalRuntime.run(new JobConfig("big-ref", oneDevice, 1, one.getClipNorm(), Duration.ofSeconds(120)),
        JobFactory.provider(one, oneDevice), e -> { });
    JobEvent end = coordinator.run(big, 2, Duration.ofSeconds(200), e -> { });
    JobEvent.JobSucceeded ok = assertInstanceOf(JobEvent.JobSucceeded.class, end,
        end + " (worker logs in " + workers.logs() + ")");
    assertEquals(assertInstanceOf(JobEvent.JobSucceeded.class, ref).weightsSha256(), ok.weightsSha256());
  }
}
