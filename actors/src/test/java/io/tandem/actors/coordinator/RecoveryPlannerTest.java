package io.tandem.actors.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.planner.ClusterSpec;
import io.tandem.planner.Plan;
import io.tandem.planner.Planner;
import io.tandem.proto.JobSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

public class RecoveryPlannerTest {
  static JobSpec spec(String schedule, double budget) {
    return JobSpec.newBuilder().setJobId("rp").setBackend("cpu").setModel("gpt-tiny").setSchedule(schedule)
        .setDevices(4).setMicrobatches(8).setMicrobatchSize(1).setSteps(4).setSeed(3).setLearningRate(0.003)
        .setDeviceMemoryBytes(budget).build();
  }

  /** The planner's expected peak of {@code schedule} on {@code devices} devices, without a budget. */
  static long peak(String schedule, int devices) {
    Plan p = new Planner().plan(RecoveryPlanner.request(spec(schedule, 0), devices).orElseThrow()
        .withSchedules(List.of(schedule)).withCluster(ClusterSpec.uniform(devices, Long.MAX_VALUE / 4)));
    return p.peakBytesPerDevice().stream().mapToLong(Long::longValue).max().orElseThrow();
  }

  /** Whether some split of {@code schedule} over {@code devices} devices fits {@code budget} bytes each. */
  static boolean fits(String schedule, int devices, long budget) {
    try {
      new Planner().plan(RecoveryPlanner.request(spec(schedule, budget), devices).orElseThrow()
          .withSchedules(List.of(schedule)));
      return true;
    } catch (io.tandem.planner.NoFeasiblePlanException e) {
      return false;
    }
  }

  /** The least per-device budget any split of {@code schedule} on {@code devices} devices fits (bisection). */
  static long leastBudget(String schedule, int devices) {
    long lo = 1;
    long hi = peak(schedule, devices);
    while (hi - lo > 1024) {
      long mid = (lo + hi) / 2;
      if (fits(schedule, devices, mid)) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    return hi;
  }

  /** A per-device budget where 1f1b fits 3 devices but no schedule of its family fits 2 (of {@link #spec}'s job). */
  public static double budgetFitting1f1bOnThreeNotTwo() {
    long three = leastBudget("1f1b", 3);
    long two = java.util.stream.Stream.of("1f1b", "zb-h1", "zb-h2", "gpipe", "interleaved-1f1b")
        .mapToLong(s -> {
          try {
            return leastBudget(s, 2);
          } catch (RuntimeException e) {
            return Long.MAX_VALUE; // the schedule cannot run 2 devices at all
          }
        }).min().orElseThrow();
    assertTrue(three < two, "least budgets: 1f1b on 3 " + three + ", its family on 2 " + two);
    return three + (two - three) / 2.0;
  }

  /** A per-device budget where v-zb fits 4 devices but no split of it fits 3, and v-half or v-min fits 3. */
  public static double budgetFittingVzbOnFourOnly() {
    long vzb4 = leastBudget("v-zb", 4);
    long vzb3 = leastBudget("v-zb", 3);
    long other3 = Math.min(leastBudget("v-half", 3), leastBudget("v-min", 3));
    assertTrue(vzb4 < vzb3 && other3 < vzb3, "least budgets: v-zb on 4 " + vzb4 + ", v-zb on 3 " + vzb3
        + ", v-half/v-min on 3 " + other3);
    return Math.max(vzb4, other3) + (vzb3 - Math.max(vzb4, other3)) / 2.0;
  }

  /** The least budget 1f1b fits on {@code devices} devices, with recomputation allowed or not (bisection). */
  static long least1f1b(int devices, boolean recompute) {
    long lo = 1;
    long hi = peak("1f1b", devices);
    while (hi - lo > 1024) {
      long mid = (lo + hi) / 2;
      try {
        new Planner().plan(RecoveryPlanner.request(spec("1f1b", mid).toBuilder()
            .setRecompute(recompute ? "planner" : "none").build(), devices).orElseThrow()
            .withSchedules(List.of("1f1b")));
        hi = mid;
      } catch (io.tandem.planner.NoFeasiblePlanException e) {
        lo = mid;
      }
    }
    return hi;
  }

  /**
   * Issue 13: recovery re-plans with recomputation allowed when the job allows it. Under a budget
   * that 1f1b on 3 devices meets only by recomputing, a job with {@code recompute planner} keeps
   * 1f1b on the survivors and recomputes where the planner says; the new spec carries the flags.
   */
  @Test
  void recomputePlanner_replansWithRecomputation_whenTheSurvivorsNeedIt() {
    long with = least1f1b(3, true);
    long without = least1f1b(3, false);
    assertTrue(with < without, "1f1b on 3 devices: least budget recomputing " + with + ", without " + without);
    double budget = with + (without - with) / 2.0;
    JobSpec job = spec("1f1b", budget).toBuilder().setRecompute("planner").build();
    RecoveryPlanner.Replan r = new RecoveryPlanner(job).replan(3, "node x lost");
    assertEquals("1f1b", r.schedule().name(), r.reason());
    assertEquals(3, r.spec().getRecomputeStagesCount(), r.spec().toString());
    assertTrue(r.spec().getRecomputeStagesList().contains(true), r.reason());
    assertTrue(r.reason().contains("recompute planner ("), r.reason());
    io.tandem.actors.JobSpecs.check(io.tandem.actors.JobSpecs.withDefaults(r.spec()));
    try {
      RecoveryPlanner.Replan none = new RecoveryPlanner(spec("1f1b", budget)).replan(3, "node x lost");
      assertTrue(!none.schedule().name().equals("1f1b"), "without recomputation 1f1b cannot stay: " + none.reason());
      assertEquals(0, none.spec().getRecomputeStagesCount());
    } catch (IllegalArgumentException nothingFits) {
      assertTrue(nothingFits.getMessage().startsWith("nothing fits 3 device(s)"), nothingFits.getMessage());
    }
  }

  /**
   * A 2-replica job keeps its 2 reduction groups whatever the re-plan runs: on 3 survivors one
   * pipeline of 3 (a valid spec) summing per group, so its weights stay those of 2 replicas.
   */
  @Test
  void dataParallelJob_onThreeSurvivors_runsOnePipeline_keepingItsReductionGroups() {
    RecoveryPlanner.Replan r = new RecoveryPlanner(dpSpec()).replan(3, "node x lost");
    assertEquals(3, r.spec().getDevices());
    assertEquals(1, r.spec().getDataParallel());
    assertEquals(2, r.spec().getReductionGroups());
    assertEquals(3, r.schedule().devices());
    io.tandem.actors.JobSpecs.check(r.spec());
  }

  /** The re-plan may keep replicas: on 2 survivors the planner runs 2 replicas of 1 device (no bubble). */
  @Test
  void dataParallelJob_onTwoSurvivors_keepsTwoReplicas() {
    RecoveryPlanner.Replan r = new RecoveryPlanner(dpSpec()).replan(2, "2 nodes lost");
    assertEquals(2, r.spec().getDevices());
    assertEquals(2, r.spec().getDataParallel(), r.reason());
    assertEquals(2, r.spec().getReductionGroups());
    assertEquals(1, r.schedule().devices());
    io.tandem.actors.JobSpecs.check(r.spec());
  }

  /**
   * A CPU job plans with a CPU worker's costs, not a GPU's: gpt-tiny as 3 replicas x 2 devices
   * that loses one of its 6 workers keeps its survivors busy (under the GPU's costs the planner
   * put it on 1 device, its ops being microseconds against the link's latency).
   */
  @Test
  void cpuJob_losingOneOfSixWorkers_keepsTheSurvivorsBusy() {
    JobSpec job = spec("v-half", 0).toBuilder().setDevices(6).setDataParallel(3).setMicrobatches(6)
        .setDataset("corpus").setOptimizer("sgd").build();
    RecoveryPlanner.Replan cpu = new RecoveryPlanner(job).replan(5, "node x lost");
    assertTrue(cpu.spec().getDevices() >= 3, cpu.reason());
    assertTrue(cpu.reason().endsWith("with the analytic CPU costs"), cpu.reason());
    assertEquals(3, cpu.spec().getReductionGroups());
    io.tandem.actors.JobSpecs.check(cpu.spec());
    RecoveryPlanner.Replan gpu = new RecoveryPlanner(job.toBuilder().setBackend("cuda").build()).replan(5, "node x lost");
    assertTrue(gpu.reason().endsWith("with the analytic GPU costs"), gpu.reason());
  }

  private static JobSpec dpSpec() {
    return spec("1f1b", 0).toBuilder().setDataParallel(2).setDataset("corpus").setOptimizer("sgd").build();
  }

  @Test
  void withoutBudget_keepsTheSchedule_withThePlannersSplit() {
    RecoveryPlanner.Replan r = new RecoveryPlanner(spec("v-zb", 0)).replan(3, "node x lost");
    assertEquals("v-zb", r.schedule().name());
    assertEquals(3, r.spec().getDevices());
    assertEquals(7, r.spec().getStageBoundariesCount()); // 6 virtual stages
    assertTrue(r.reason().startsWith("node x lost; planner kept v-zb over 3 device(s)"), r.reason());
  }

  @Test
  void budgetThatFitsVzbOnFourButNotThree_switchesToAScheduleThatFits_andSaysWhy() {
    double budget = budgetFittingVzbOnFourOnly();
    RecoveryPlanner planner = new RecoveryPlanner(spec("v-zb", budget));
    assertEquals("v-zb", planner.replan(4, "check").schedule().name(), "v-zb fits 4 devices");
    RecoveryPlanner.Replan r = planner.replan(3, "node x lost");
    assertTrue(List.of("v-half", "v-min").contains(r.schedule().name()), r.reason());
    assertTrue(r.reason().contains("v-zb does not fit 3 device(s) under the"), r.reason());
    assertTrue(r.reason().contains("so the planner chose " + r.schedule().name()), r.reason());
    assertEquals(8, r.spec().getMicrobatches());
  }

  @Test
  void simBackend_keepsTheScheduleEvenly_orFallsBackTo1f1b() {
    JobSpec sim = spec("v-zb", 0).toBuilder().setBackend("sim").build();
    RecoveryPlanner.Replan r = new RecoveryPlanner(sim).replan(3, "node x lost");
    assertEquals("v-zb", r.schedule().name());
    assertTrue(r.reason().contains("layers split evenly"), r.reason());
    assertEquals(0, r.spec().getStageBoundariesCount());
  }
}
