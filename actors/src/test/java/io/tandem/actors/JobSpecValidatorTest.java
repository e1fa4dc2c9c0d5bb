package io.tandem.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.proto.JobSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one validator's rules that the cross-entry-point table (cli's JobSpecRulesEverywhereTest) does not reach. */
class JobSpecValidatorTest {
  static JobSpec.Builder valid() {
    return JobSpec.newBuilder().setJobId("v").setBackend("cpu").setModel("gpt-tiny").setDataset("corpus")
        .setOptimizer("adamw").setSchedule("1f1b").setDevices(2).setMicrobatches(4).setMicrobatchSize(1).setSteps(1)
        .setLearningRate(0.003);
  }

  static List<String> messages(JobSpec.Builder b) {
    return JobSpecValidator.problems(b.build()).stream().map(JobSpecValidator.Problem::message).toList();
  }

  @Test
  void aValidSpec_hasNoProblems() {
    assertEquals(List.of(), messages(valid()));
    assertEquals(List.of(), messages(valid().setModel("mlp:layers=2,hidden=16,seq=8,vocab=256").setDataset("corpus")));
  }

  @Test
  void simBackend_checksNoModelFields() {
    assertEquals(List.of(), messages(JobSpec.newBuilder().setJobId("s").setBackend("sim").setSchedule("1f1b")
        .setDevices(2).setMicrobatches(4).setSteps(1)));
  }

  @Test
  void everyProblem_inOrder_theFirstThrown() {
    JobSpec.Builder b = valid().setJobId("").setDevices(0).setLearningRate(0).setModel("");
    assertEquals(List.of("jobId: use 1-100 letters, digits, '.', '_' or '-', got ''", "devices: must be >= 1, got 0",
        "model: is required; use a preset (gpt-tiny, gpt-mini, mlp-small) or a shape"
            + " gpt:layers=L,hidden=H,heads=A,seq=S,vocab=V or mlp:layers=L,hidden=H,seq=S,vocab=V",
        "learningRate: must be a finite number > 0, got 0.0"), messages(b));
    InvalidJobSpecException e = assertThrows(InvalidJobSpecException.class, () -> JobSpecs.check(b.build()));
    assertEquals("jobId", e.field());
    assertEquals(4, e.problems().size());
  }

  @Test
  void scheduleAndModelMustFitTogether() {
    assertEquals(List.of("microbatches: 2bw needs a multiple of devices (4), got 6"),
        messages(valid().setSchedule("2bw").setDevices(4).setMicrobatches(6)));
    assertEquals(List.of("checkpointDir: 2bw keeps two weight versions; checkpoints hold one"),
        messages(valid().setSchedule("2bw").setCheckpointDir("/tmp/x")));
    assertEquals(List.of("stageBoundaries: [0, 4, 8] do not split the model's 9 layers into 1f1b's 2 virtual stages"),
        messages(valid().addAllStageBoundaries(List.of(0, 4, 8))));
    assertEquals(List.of("model: gpt:layers=1,hidden=32,heads=2,seq=8,vocab=256: seq (8) must be > 13 to hold one"
        + " example of the addition dataset"), messages(valid().setDataset("addition")
        .setModel("gpt:layers=1,hidden=32,heads=2,seq=8,vocab=256")));
    assertTrue(messages(valid().setSchedule("auto").setMemoryLimit(0.5)).get(0).startsWith("memoryLimit: auto needs"));
  }

  @Test
  void recompute_modesAndPlannerFlags() {
    assertEquals(List.of(), messages(valid().setRecompute("all")));
    assertEquals(List.of(), messages(valid().setRecompute("NONE")));
    assertEquals(List.of("recompute: must be one of none, all, planner, got 'some'"),
        messages(valid().setRecompute("some")));
    assertEquals(List.of("recompute: 'all' needs a backend that runs layers (cpu, cuda), got sim"),
        messages(JobSpec.newBuilder().setJobId("s").setBackend("sim").setSchedule("1f1b").setDevices(2)
            .setMicrobatches(4).setSteps(1).setRecompute("all")));
    assertEquals(List.of("recomputeStages: holds the planner's choice, so only with recompute planner, got 2 flags"
        + " with recompute all"), messages(valid().setRecompute("all").addAllRecomputeStages(List.of(true, false))));
    assertEquals(List.of("recomputeStages: 3 flags for 1f1b's 2 virtual stages"),
        messages(valid().setRecompute("planner").addAllRecomputeStages(List.of(true, false, true))));
  }

  @Test
  void prepare_recomputePlanner_takesThePlannersFlagsAndSplit() {
    JobSpec chosen = JobSpecs.prepare(valid().setRecompute("planner").build());
    assertEquals("1f1b", chosen.getSchedule());
    assertEquals(2, chosen.getRecomputeStagesCount(), chosen.toString());
    assertEquals(3, chosen.getStageBoundariesCount(), chosen.toString());
    InvalidJobSpecException e = assertThrows(InvalidJobSpecException.class, () -> JobSpecs.prepare(valid()
        .setRecompute("planner").addAllStageBoundaries(List.of(0, 4, 9)).build()));
    assertEquals("stageBoundaries: recompute planner chooses the layer split with the recomputation; leave"
        + " stageBoundaries out, or use recompute all", e.getMessage());
  }

  @Test
  void prepare_schedulePlanner_withRecomputePlanner_carriesThePlansFlags() {
    JobSpec chosen = JobSpecs.prepare(valid().setSchedule("planner").setRecompute("planner").build());
    assertEquals(JobFactory.schedule(chosen).stages(), chosen.getRecomputeStagesCount(), chosen.toString());
    assertEquals(List.of(), messages(chosen.toBuilder()));
  }

  @Test
  void dataParallel_splitsDevicesAndMicrobatchesEvenly() {
    assertEquals(List.of(), messages(valid().setDataParallel(0)), "unset = 1");
    assertEquals(List.of("devices: 3 is not a multiple of dataParallel 2 (devices = dataParallel x pipeline depth)",
        "microbatches: 5 is not a multiple of dataParallel 2 (each replica takes microbatches / dataParallel)"),
        messages(valid().setDevices(3).setMicrobatches(5).setDataParallel(2)));
    assertEquals(List.of(), messages(valid().setSchedule("2bw").setDataParallel(2)), "2bw with replicas runs");
    assertEquals(List.of("reductionGroups: 2bw updates inside a step, so it runs its 2 reduction groups as that"
        + " many replicas (dataParallel 2)"), messages(valid().setSchedule("2bw").setReductionGroups(2)));
    assertEquals(List.of("reductionGroups: dataParallel 2 must be 1 or reductionGroups 4 (a replica sums whole"
        + " groups)"), messages(valid().setDataParallel(2).setReductionGroups(4)));
    assertEquals(List.of(), messages(valid().setReductionGroups(2)), "one pipeline summing 2 groups");
    assertEquals(List.of("microbatches: interleaved-1f1b needs a multiple of devices (2), got 3"),
        messages(valid().setSchedule("interleaved-1f1b").setDevices(4).setMicrobatches(6).setDataParallel(2)),
        "the schedule's rules apply to one replica's pipeline: 2 devices, 3 microbatches");
  }

  @Test
  void prepare_makesThePlannersChoice() {
    JobSpec chosen = JobSpecs.prepare(valid().setSchedule("planner").build());
    assertTrue(!chosen.getSchedule().equals("planner"), chosen.getSchedule());
  }
}
