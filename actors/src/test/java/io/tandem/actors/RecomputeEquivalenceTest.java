package io.tandem.actors;

import io.tandem.actors.checkpoint.SavedModel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

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
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Recomputation changes memory, never results: with every stage (or some) dropping its stash after
 * F and recomputing it before B, pipelined training on 1, 2 and 4 devices gives bitwise the weights
 * of the single-process trainer (gpt-tiny, SGD, fixed seed), and so of the run without it.
 */
class RecomputeEquivalenceTest {
  static final int STEPS = 2;
  static final int MICROBATCHES = 8;
  static final int MICROBATCH_SIZE = 2;
  static final long SEED = 11;
  static final double LR = 0.01;
  static final double CLIP = 1.0;

  static String reference;

  static JobSpec.Builder spec(String schedule, int devices, String recompute) {
    return JobSpec.newBuilder().setJobId("rc-" + schedule + "-" + devices + "-" + recompute).setBackend("cpu")
        .setModel("gpt-tiny").setSchedule(schedule).setDevices(devices).setMicrobatches(MICROBATCHES)
        .setMicrobatchSize(MICROBATCH_SIZE).setSteps(STEPS).setSeed(SEED).setLearningRate(LR).setClipNorm(CLIP)
        .setDataset("corpus").setOptimizer("sgd").setRecompute(recompute);
  }

  @BeforeAll
  static void trainReference() {
    try (CpuBackend backend = CpuBackend.create(1)) {
      Model model = Presets.GPT_TINY.build(backend, SEED);
      Trainer trainer = new Trainer(backend, model, ModelComputeProvider.optimizer("sgd"),
          LearningRate.constant((float) LR), CLIP);
      for (long step = 1; step <= STEPS; step++) {
        trainer.step(ModelComputeProvider.dataset("corpus"), SEED, step, MICROBATCHES, MICROBATCH_SIZE);
      }
      reference = SavedModel.weightsSha256(model.layers());
      model.layers().forEach(Layer::free);
    }
  }

  static String weights(JobSpec spec) {
    JobSpecs.check(spec);
    Schedule schedule = JobFactory.schedule(spec);
    JobEvent end = LocalRuntime.run(new JobConfig(spec.getJobId(), schedule, spec.getSteps(), spec.getClipNorm(),
        Duration.ofSeconds(60)), JobFactory.provider(spec, schedule), e -> { });
    return assertInstanceOf(JobEvent.JobSucceeded.class, end, end.toString()).weightsSha256();
  }

  static Stream<Arguments> schedulesAndDevices() {
    return Stream.of("1f1b", "zb-h1", "v-half", "v-zb")
        .flatMap(n -> Stream.of(Arguments.of(n, 2), Arguments.of(n, 4)));
  }

  @Test
  void oneDevice_recomputing_matchesTrainer() {
    assertEquals(reference, weights(spec("1f1b", 1, "all").build()));
  }

  @ParameterizedTest(name = "{0} on {1} devices")
  @MethodSource("schedulesAndDevices")
  void recomputeAll_isBitwiseEqualToOneDevice(String schedule, int devices) {
    assertEquals(reference, weights(spec(schedule, devices, "all").build()), schedule + " on " + devices + " devices");
  }

  @Test
  void recomputeOff_isTheSameReference() {
    assertEquals(reference, weights(spec("zb-h1", 2, "none").build()));
  }

  /** The planner's per-stage choice, some stages on and some off (here given, as a plan carries it). */
  @Test
  void recomputeSomeStages_isBitwiseEqualToOneDevice() {
    JobSpec s = spec("v-half", 2, "planner").addAllRecomputeStages(List.of(true, false, false, true)).build();
    assertEquals(reference, weights(s));
  }

  /** PipeDream-2BW recomputes under the weight version its F used. */
  @Test
  void twoBw_recomputing_equalsTwoBwWithout() {
    assertEquals(weights(spec("2bw", 2, "none").build()), weights(spec("2bw", 2, "all").build()));
  }
}
