package io.tandem.actors;

import io.tandem.actors.checkpoint.SavedModel;
import io.tandem.actors.worker.ModelComputeProvider;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.tandem.kernels.CpuBackend;
import io.tandem.model.Layer;
import io.tandem.model.Model;
import io.tandem.model.Presets;
import io.tandem.model.Trainer;
import io.tandem.model.optim.AdamW;
import io.tandem.model.optim.LearningRate;
import io.tandem.proto.JobSpec;
import io.tandem.schedule.AutoV;
import io.tandem.schedule.OpCosts;
import io.tandem.schedule.Schedule;
import io.tandem.schedule.ScheduleRegistry;
import io.tandem.schedule.ScheduleSpec;
import io.tandem.schedule.SearchOptions;
import io.tandem.schedule.Simulator;
import io.tandem.schedule.VMin;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The point of the runtime: pipelining changes nothing. Every schedule on 2 and 4 devices gives
 * bitwise the weights of the single-process trainer (same seed, data and accumulation order).
 */
class PipelineEquivalenceTest {
  static final int STEPS = 2;
  static final int MICROBATCHES = 8;
  static final int MICROBATCH_SIZE = 2;
  static final long SEED = 7;
  static final double LR = 0.003;
  static final double CLIP = 1.0;

  static String reference;

  static JobSpec spec(String schedule, int devices) {
    return JobSpec.newBuilder().setJobId("eq-" + schedule + "-" + devices).setBackend("cpu").setModel("gpt-tiny")
        .setSchedule(schedule).setDevices(devices).setMicrobatches(MICROBATCHES).setMicrobatchSize(MICROBATCH_SIZE)
        .setSteps(STEPS).setSeed(SEED).setLearningRate(LR).setClipNorm(CLIP).setDataset("corpus")
        .setOptimizer("adamw").build();
  }

  /** Trainer on one backend: the reference the pipeline must match bit for bit. */
  @BeforeAll
  static void trainReference() {
    try (CpuBackend backend = CpuBackend.create(1)) {
      Model model = Presets.GPT_TINY.build(backend, SEED);
      Trainer trainer = new Trainer(backend, model, AdamW.defaults(), LearningRate.constant((float) LR), CLIP);
      for (long step = 1; step <= STEPS; step++) {
        trainer.step(ModelComputeProvider.dataset("corpus"), SEED, step, MICROBATCHES, MICROBATCH_SIZE);
      }
      reference = SavedModel.weightsSha256(model.layers());
      model.layers().forEach(Layer::free);
    }
  }

  static JobEvent.JobSucceeded run(JobSpec spec) {
    return run(spec, JobFactory.schedule(spec));
  }

  static JobEvent.JobSucceeded run(JobSpec spec, Schedule schedule) {
    JobEvent end = LocalRuntime.run(new JobConfig(spec.getJobId(), schedule, spec.getSteps(), spec.getClipNorm(),
        Duration.ofSeconds(60)), JobFactory.provider(spec, schedule), e -> { });
    return assertInstanceOf(JobEvent.JobSucceeded.class, end, end.toString());
  }

  static Stream<Arguments> schedulesAndDevices() {
    return ScheduleRegistry.names().stream()
        .filter(n -> !n.equals("2bw") && !n.equals("auto"))
        .flatMap(n -> Stream.of(Arguments.of(n, 2), Arguments.of(n, 4)));
  }

  @Test
  void oneDevice_matchesTrainer() {
    assertEquals(reference, run(spec("1f1b", 1)).weightsSha256());
  }

  /**
   * Issue 17: a schedule found by auto's search (costs F=1,B=2,W=1,comm=0.1 at V-Min's memory, where the
   * search reorders the building-block schedule) trains to the single-process weights too.
   */
  @Test
  void searchedSchedule_isBitwiseEqualToSingleProcess() {
    ScheduleSpec s = ScheduleSpec.of(4, MICROBATCHES).withCosts(new OpCosts(1, 2, 1, 0.1));
    double limit = Simulator.simulate(new VMin().generate(s)).maxPeakActivation();
    Schedule searched = new AutoV(SearchOptions.DEFAULT).generate(s.withMemoryLimit(limit));
    Schedule unsearched = new AutoV(SearchOptions.OFF).generate(s.withMemoryLimit(limit));
    assertNotEquals(unsearched.ops(), searched.ops(), "the search changed the order");
    assertEquals(reference, run(spec("auto", 4), searched).weightsSha256(), "searched auto on 4 devices");
  }

  @ParameterizedTest(name = "{0} on {1} devices")
  @MethodSource("schedulesAndDevices")
  void pipelinedTraining_isBitwiseEqualToSingleProcess(String schedule, int devices) {
    assertEquals(reference, run(spec(schedule, devices)).weightsSha256(), schedule + " on " + devices + " devices");
  }
}
