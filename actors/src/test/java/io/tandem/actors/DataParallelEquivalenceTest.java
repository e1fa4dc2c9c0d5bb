package io.tandem.actors;

import io.tandem.actors.checkpoint.SavedModel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.actors.worker.ModelComputeProvider;
import io.tandem.kernels.CpuBackend;
import io.tandem.model.Layer;
import io.tandem.model.Model;
import io.tandem.model.Presets;
import io.tandem.model.Trainer;
import io.tandem.model.optim.LearningRate;
import io.tandem.proto.JobSpec;
import io.tandem.schedule.Schedule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Data x pipeline parallelism changes nothing but the summation order it defines: D = 2 replicas
 * of a p-stage pipeline give bitwise the weights of the single-process trainer with
 * {@code dataParallel = 2} (gpt-tiny, SGD, fixed seed), whatever the schedule; the coordinator
 * fails the job if a replica's weights differ from replica 0's at the end, so a passing run also
 * shows the replicas stayed identical.
 */
class DataParallelEquivalenceTest {
  static final int MICROBATCHES = 8;
  static final int MICROBATCH_SIZE = 2;
  static final long SEED = 13;
  static final double LR = 0.01;
  static final double CLIP = 1.0;

  static JobSpec spec(String schedule, int devices, int dataParallel, int steps) {
    return JobSpec.newBuilder().setJobId("dp-" + schedule + "-" + devices + "-" + dataParallel).setBackend("cpu")
        .setModel("gpt-tiny").setSchedule(schedule).setDevices(devices).setDataParallel(dataParallel)
        .setMicrobatches(MICROBATCHES).setMicrobatchSize(MICROBATCH_SIZE).setSteps(steps).setSeed(SEED)
        .setLearningRate(LR).setClipNorm(CLIP).setDataset("corpus").setOptimizer("sgd").build();
  }

  /** The reference trainer's weights digest and per-step losses, grouping microbatches into {@code dataParallel} replicas. */
  static String reference(int dataParallel, int steps, List<Double> losses) {
    try (CpuBackend backend = CpuBackend.create(1)) {
      Model model = Presets.GPT_TINY.build(backend, SEED);
      Trainer trainer = new Trainer(backend, model, ModelComputeProvider.optimizer("sgd"),
          LearningRate.constant((float) LR), CLIP, dataParallel);
      for (long step = 1; step <= steps; step++) {
        losses.add(trainer.step(ModelComputeProvider.dataset("corpus"), SEED, step, MICROBATCHES, MICROBATCH_SIZE)
            .loss());
      }
      String sha = SavedModel.weightsSha256(model.layers());
      model.layers().forEach(Layer::free);
      return sha;
    }
  }

  static JobEvent.JobSucceeded run(JobSpec spec, List<Double> losses) {
    Schedule schedule = JobFactory.schedule(spec);
    JobEvent end = LocalRuntime.run(new JobConfig(spec.getJobId(), schedule, spec.getSteps(), spec.getClipNorm(),
        Duration.ofSeconds(60)), JobSpecs.dataParallel(spec), JobFactory.provider(spec, schedule), e -> {
          if (e instanceof JobEvent.StepCompleted s) {
            losses.add(s.loss());
          }
        });
    return assertInstanceOf(JobEvent.JobSucceeded.class, end, end.toString());
  }

  @ParameterizedTest(name = "{0}: 2 replicas x {1} pipeline devices")
  @CsvSource({"1f1b,1", "1f1b,2", "1f1b,4", "v-half,1", "v-half,2", "zb-h1,2", "zb-h1,4", "v-zb,2", "v-zb,4"})
  void twoReplicas_matchTheTrainersDataParallelGrouping_bitForBit(String schedule, int depth) {
    List<Double> expected = new ArrayList<>();
    String reference = reference(2, 2, expected);
    List<Double> losses = new ArrayList<>();
    JobEvent.JobSucceeded end = run(spec(schedule, 2 * depth, 2, 2), losses);
    assertEquals(reference, end.weightsSha256(), schedule + ", 2 replicas x " + depth);
    assertEquals(expected, losses, "losses, step by step");
  }

  /**
   * Fewer replicas than reduction groups (what a re-plan after a lost replica runs): one pipeline
   * keeping a partial sum per group gives the weights of 2 replicas bit for bit, and, as a check
   * that the grouping is real, not those of the plain sequential sum.
   */
  @ParameterizedTest(name = "{0}: 1 pipeline of {1} devices, 2 reduction groups")
  @CsvSource({"1f1b,1", "1f1b,2", "v-half,2", "zb-h1,4", "v-zb,2"})
  void onePipelineWithTwoReductionGroups_matchesTwoReplicas_bitForBit(String schedule, int depth) {
    List<Double> expected = new ArrayList<>();
    String reference = reference(2, 2, expected);
    List<Double> losses = new ArrayList<>();
    JobSpec spec = spec(schedule, depth, 1, 2).toBuilder().setJobId("dp-groups-" + schedule + "-" + depth)
        .setReductionGroups(2).build();
    JobEvent.JobSucceeded end = run(spec, losses);
    assertEquals(reference, end.weightsSha256(), schedule + ", 1 x " + depth + ", 2 reduction groups");
    assertEquals(expected, losses, "losses, step by step");
    org.junit.jupiter.api.Assertions.assertNotEquals(reference(1, 2, new ArrayList<>()), end.weightsSha256(),
        "2 groups must differ from one sequential sum (else this test proves nothing)");
  }

  /** Recomputation changes nothing either: 2 replicas recomputing every stage, same weights bit for bit. */
  @ParameterizedTest(name = "{0}: 2 replicas x {1} pipeline devices, recompute all")
  @CsvSource({"1f1b,2", "v-half,2", "zb-h1,4", "v-zb,2"})
  void twoReplicasRecomputing_matchTheTrainersDataParallelGrouping_bitForBit(String schedule, int depth) {
    List<Double> expected = new ArrayList<>();
    String reference = reference(2, 2, expected);
    List<Double> losses = new ArrayList<>();
    JobSpec spec = spec(schedule, 2 * depth, 2, 2).toBuilder().setJobId("dp-rc-" + schedule + "-" + depth)
        .setRecompute("all").build();
    JobEvent.JobSucceeded end = run(spec, losses);
    assertEquals(reference, end.weightsSha256(), schedule + ", 2 replicas x " + depth + ", recompute all");
    assertEquals(expected, losses, "losses, step by step");
  }

  /**
   * The end-of-job check can fail: when replica 1's device 0 loads a reduced gradient with one
   * element changed, the replicas' weights part and the coordinator fails the job naming it.
   */
  @Test
  void aReplicaThatDiverges_failsTheJob() {
    JobSpec spec = spec("1f1b", 4, 2, 1).toBuilder().setJobId("dp-diverge").build();
    Schedule schedule = JobFactory.schedule(spec);
    io.tandem.actors.worker.ComputeProvider real = JobFactory.provider(spec, schedule);
    io.tandem.actors.worker.ComputeProvider skewed = new io.tandem.actors.worker.ComputeProvider() {
      @Override
      public io.tandem.actors.worker.DeviceCompute open(int device, Schedule s) {
        io.tandem.actors.worker.DeviceCompute d = real.open(device, s);
        return device != 2 ? d : new io.tandem.actors.worker.DeviceCompute(new DoubledElement(d.compute()), d.executor());
      }

      @Override
      public long tokensPerStep() {
        return real.tokensPerStep();
      }
    };
    JobEvent end = LocalRuntime.run(new JobConfig(spec.getJobId(), schedule, spec.getSteps(), spec.getClipNorm(),
        Duration.ofSeconds(60)), 2, skewed, e -> { });
    JobEvent.JobFailed failed = assertInstanceOf(JobEvent.JobFailed.class, end, end.toString());
    assertTrue(failed.message().startsWith("data-parallel replica 1 diverged: its layer "), failed.message());
  }

  /** Replica 1's device 0, loading each stage's reduced gradient with its largest element doubled. */
  private static final class DoubledElement extends io.tandem.actors.worker.ForwardingStageCompute {
    DoubledElement(io.tandem.actors.worker.StageCompute c) {
      super(c);
    }

    @Override
    public void setStageGradients(int v, float[][] pieces) {
      float[] skewed = io.tandem.actors.worker.GradientSlices.concat(pieces);
      int largest = 0;
      for (int i = 1; i < skewed.length; i++) {
        largest = Math.abs(skewed[i]) > Math.abs(skewed[largest]) ? i : largest;
      }
      skewed[largest] *= 2;
      c.setStageGradients(v, skewed);
    }
  }

  /** The way {@code tandem train} runs a job: job master, node agent, data plane transport. */
  @Test
  void inJvmRuntime_twoReplicasOfTwoStages_matchTheTrainer() {
    String reference = reference(2, 2, new ArrayList<>());
    JobSpec spec = spec("zb-h1", 4, 2, 2).toBuilder().setJobId("dp-injvm").build();
    JobSpecs.check(spec);
    JobEvent end = io.tandem.actors.cluster.InJvmRuntime.run(spec, Duration.ofMinutes(3), e -> { });
    assertEquals(reference, assertInstanceOf(JobEvent.JobSucceeded.class, end, end.toString()).weightsSha256());
  }

  @Test
  void twoDevicesAsTwoReplicas_reachTheLossOfOneDevice() {
    int steps = 10;
    List<Double> one = new ArrayList<>();
    run(spec("1f1b", 1, 1, steps), one);
    List<Double> two = new ArrayList<>();
    run(spec("1f1b", 2, 2, steps), two);
    double last = one.get(steps - 1);
    double rel = Math.abs(two.get(steps - 1) - last) / Math.abs(last);
    assertTrue(rel <= 1e-3, "loss after " + steps + " steps: one device " + last + ", 2 replicas "
        + two.get(steps - 1) + " (relative difference " + rel + ")");
    assertTrue(one.get(steps - 1) < one.get(0), "it trains: " + one);
  }
}
