package io.tandem.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.schedule.Op;
import io.tandem.schedule.OpCosts;
import io.tandem.schedule.Schedule;
import io.tandem.schedule.ScheduleRegistry;
import io.tandem.schedule.ScheduleSpec;
import io.tandem.schedule.Validator;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlannerTest {
  /** 16 blocks, activations large against weights (seq 2048, small vocab): memory decides. */
  static final ModelProfile ACTIVATION_HEAVY =
      AnalyticProfiler.gpuDefault().profile(new GptShape(16, 1024, 16, 2048, 1000), 1);
  static final ModelProfile GPT_24 =
      AnalyticProfiler.gpuDefault().profile(new GptShape(24, 1024, 16, 1024, 32000), 1);

  static PlanRequest pipelineOnly(ModelProfile profile, int devices, String memory, int batch) {
    return PlanRequest.of(profile, ClusterSpec.uniform(devices, Bytes.parse(memory)), batch).withRecompute(false)
        .withDataParallel(false).withMicrobatchSizes(List.of(1));
  }

  @Test
  void looseMemory_choosesAZeroBubbleSchedule() {
    Plan plan = new Planner().plan(pipelineOnly(ACTIVATION_HEAVY, 4, "80GiB", 16));
    assertTrue(Family.byName(plan.schedule()).zeroBubble(), plan.schedule() + " is not a zero-bubble family");
    Plan hybrid = new Planner().plan(PlanRequest.of(GPT_24, ClusterSpec.uniform(8, Bytes.parse("80GiB")), 32));
    assertTrue(Family.byName(hybrid.schedule()).zeroBubble(), hybrid.schedule() + " is not a zero-bubble family");
  }

  @Test
  void memoryTooTightFor1f1b_choosesAMemorySavingVSchedule() {
    PlanRequest tight = pipelineOnly(ACTIVATION_HEAVY, 4, "3.5GiB", 16);
    Planner planner = new Planner();
    NoFeasiblePlanException e = assertThrows(NoFeasiblePlanException.class,
        () -> planner.plan(tight.withSchedules(List.of("1f1b"))));
    assertTrue(e.getMessage().contains("short by"), e.getMessage());
    Plan plan = planner.plan(tight);
    assertTrue(Set.of("v-min", "v-half", "auto").contains(plan.schedule()), "chose " + plan.schedule());
    assertFitsIndependently(plan);
  }

  @Test
  void noPlanFits_namesTheShortDeviceAndWhatWouldFit() {
    PlanRequest hopeless = PlanRequest.of(ACTIVATION_HEAVY, ClusterSpec.uniform(2, Bytes.parse("1GiB")), 4);
    NoFeasiblePlanException e = assertThrows(NoFeasiblePlanException.class, () -> new Planner().plan(hopeless));
    assertTrue(e.getMessage().matches("no plan fits: device d\\d+ is short by .*; would fit: .*"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
    assertTrue(e.shortBytes() > 0);
    assertNotNull(e.deviceId());
    assertTrue(e.getMessage().contains("devices (fewer layers per device)"), e.getMessage());
    assertEquals(Family.ALL.size(), e.alternatives().size());
  }

  @Test
  void plans_neverExceedDeviceMemory_checkedIndependently() {
    Planner planner = new Planner();
    int plans = 0;
    for (String memory : List.of("80GiB", "12GiB", "6GiB", "4GiB", "3GiB", "2GiB")) {
      for (boolean recompute : new boolean[] {false, true}) {
        PlanRequest r = PlanRequest.of(ACTIVATION_HEAVY, ClusterSpec.uniform(8, Bytes.parse(memory)), 32)
            .withRecompute(recompute);
        try {
          Plan plan = planner.plan(r);
          plans++;
          assertFitsIndependently(plan);
          for (int i = 0; i < plan.devices(); i++) {
            assertTrue(plan.peakBytesPerDevice().get(i) <= plan.deviceMemoryBytes().get(i));
          }
          for (Alternative a : plan.alternatives()) {
            if (a.feasible()) {
              a.peakBytesPerDevice().forEach(p -> assertTrue(p <= Bytes.parse(memory), a.toString()));
            }
          }
        } catch (NoFeasiblePlanException e) {
          assertTrue(e.getMessage().startsWith("no plan fits"), e.getMessage());
        }
      }
    }
    assertTrue(plans >= 6, "too few feasible plans to mean anything: " + plans);
  }

  @Test
  void heterogeneousDevices_fitEachDeviceAndGiveSlowOnesLessWork() {
    List<DeviceSpec> devs = List.of(new DeviceSpec("fast", Bytes.parse("16GiB"), 2.0),
        new DeviceSpec("slow", Bytes.parse("16GiB"), 1.0));
    PlanRequest r = PlanRequest.of(GPT_24, new ClusterSpec(devs, 10e9, 0.02), 8).withSchedules(List.of("1f1b"))
        .withDataParallel(false).withRecompute(false);
    Plan plan = new Planner().plan(r);
    int fast = plan.deviceIds().indexOf("fast");
    int slow = plan.deviceIds().indexOf("slow");
    int fastLayers = plan.stagesOf(fast).stream().mapToInt(StageRange::layers).sum();
    int slowLayers = plan.stagesOf(slow).stream().mapToInt(StageRange::layers).sum();
    assertTrue(fastLayers > slowLayers, "fast " + fastLayers + " vs slow " + slowLayers);
    assertFitsIndependently(plan);
  }

  @Test
  void replan_usesOnlySurvivorsAndFits() {
    Planner planner = new Planner();
    PlanRequest r = PlanRequest.of(GPT_24, ClusterSpec.uniform(8, Bytes.parse("24GiB")), 32);
    Plan plan = planner.plan(r);
    List<DeviceSpec> survivors = new ArrayList<>(r.cluster().devices());
    survivors.removeIf(d -> d.id().equals(plan.deviceIds().get(0)));
    Plan again = planner.replan(plan, survivors);
    Set<String> alive = new HashSet<>();
    survivors.forEach(d -> alive.add(d.id()));
    assertTrue(alive.containsAll(again.deviceIds()), again.deviceIds().toString());
    assertTrue(again.devices() <= 7);
    assertEquals(32, again.globalBatch());
    assertFitsIndependently(again);
  }

  @Test
  void precompute_plansForFewerDevices() {
    Planner planner = new Planner();
    Plan plan = planner.plan(PlanRequest.of(GPT_24, ClusterSpec.uniform(6, Bytes.parse("24GiB")), 24));
    Map<Integer, Plan> ahead = planner.precompute(plan, 2);
    assertEquals(Set.of(5, 4), ahead.keySet());
    ahead.forEach((n, p) -> {
      assertTrue(p.devices() <= n);
      assertEquals(24, p.globalBatch());
    });
  }

  @Test
  void plan_isDeterministic() {
    PlanRequest r = PlanRequest.of(GPT_24, ClusterSpec.uniform(8, Bytes.parse("12GiB")), 32);
    assertEquals(PlanJson.toJson(new Planner().plan(r)), PlanJson.toJson(new Planner().plan(r)));
  }

  @Test
  void planJson_hasTheDocumentedKeys() {
    Plan plan = new Planner().plan(PlanRequest.of(GPT_24, ClusterSpec.uniform(4, Bytes.parse("24GiB")), 16));
    String json = PlanJson.toJson(plan);
    for (String key : List.of("schedule", "devices", "stages", "microbatches", "microbatchSize", "recompute",
        "stepTimeMs", "peakBytesPerDevice", "deviceMemoryBytes", "alternatives", "feasible", "reason")) {
      assertTrue(json.contains("\"" + key + "\":"), key + " missing in " + json);
    }
    assertEquals(plan.stages().size(), plan.recompute().size());
    assertEquals(plan.devices(), plan.peakBytesPerDevice().size());
  }

  @Test
  void badRequests_areOneLineErrors() {
    assertThrows(IllegalArgumentException.class,
        () -> PlanRequest.of(GPT_24, ClusterSpec.uniform(4, 1L << 30), 0));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PlanRequest.of(GPT_24, ClusterSpec.uniform(4, 1L << 30), 8).withSchedules(List.of("nope")));
    assertTrue(e.getMessage().startsWith("unknown schedule 'nope'"), e.getMessage());
  }

  /**
   * The reported step time against a full simulation of the schedule the runtime would generate
   * (one replica, speed-1 devices, so no all-reduce): exact for the closed-form families, within
   * 3% for the searching ones, whose long orders are simulated on fewer microbatches and extended.
   */
  @Test
  void stepTime_matchesAFullSimulationOfTheRegeneratedSchedule() {
    for (String family : List.of("1f1b", "zb-h1", "interleaved-1f1b", "zb-h2", "v-min", "v-half", "v-zb", "zb-v")) {
      Plan plan = new Planner().plan(pipelineOnly(GPT_24, 4, "80GiB", 96).withSchedules(List.of(family)));
      assertEquals(96, plan.microbatches());
      ModelProfile profile = plan.request().profile().atMicrobatchSize(plan.microbatchSize());
      Schedule s = ScheduleRegistry.generate(plan.schedule(), new ScheduleSpec(plan.pipelineDepth(),
          plan.microbatches(), plan.chunksPerDevice(), OpCosts.UNIT, null, OptionalDouble.empty()));
      int stages = plan.stages().size();
      double[] f = new double[stages];
      double[] b = new double[stages];
      double[] w = new double[stages];
      long boundary = 0;
      for (StageRange r : plan.stages()) {
        int v = r.virtualStage();
        for (int l = r.firstLayer(); l < r.endLayer(); l++) {
          LayerProfile lp = profile.layer(l);
          f[v] += lp.forwardMs();
          b[v] += lp.backwardInputMs() + (plan.recompute().get(v) ? lp.forwardMs() : 0);
          w[v] += lp.backwardWeightMs();
        }
        if (v + 1 < stages) {
          boundary = Math.max(boundary, profile.layer(r.endLayer() - 1).outputBytes());
        }
      }
      double comm = plan.request().cluster().transferMs(boundary);
      double full = io.tandem.schedule.Simulator.simulate(s, new io.tandem.schedule.StageCosts(f, b, w, comm),
          io.tandem.schedule.MemoryModel.DEFAULT).makespan();
      boolean searched = Family.byName(family).vShape() || family.equals("zb-h2");
      assertEquals(full, plan.stepTimeMs(), searched ? 0.03 * full : 1e-6 * full, family);
    }
  }

  /**
   * Regenerates the plan's schedule as the runtime would and walks every device's ops with the
   * layer bytes, independently of the planner's code: the plan's peaks are right and fit.
   */
  static void assertFitsIndependently(Plan plan) {
    ModelProfile profile = plan.request().profile().atMicrobatchSize(plan.microbatchSize());
    Schedule s = ScheduleRegistry.generate(plan.schedule(), new ScheduleSpec(plan.pipelineDepth(),
        plan.microbatches(), plan.chunksPerDevice(), OpCosts.UNIT, null,
        plan.memoryLimit() > 0 ? OptionalDouble.of(plan.memoryLimit()) : OptionalDouble.empty()));
    Validator.validate(s);
    int copies = plan.schedule().equals("2bw") ? 2 : 1;
    for (int i = 0; i < plan.devices(); i++) {
      int pos = i % plan.pipelineDepth();
      long fixed = 0;
      for (StageRange r : plan.stagesOf(pos)) {
        for (int l = r.firstLayer(); l < r.endLayer(); l++) {
          LayerProfile lp = profile.layer(l);
          fixed += lp.parameterBytes() * copies + lp.gradientBytes() + lp.optimizerBytes();
        }
      }
      long held = 0;
      long peak = 0;
      for (Op op : s.opsOf(pos)) {
        StageRange r = plan.stages().get(op.virtualStage());
        boolean rec = plan.recompute().get(op.virtualStage());
        long bOnly = 0;
        long wf = 0;
        long wb = 0;
        for (int l = r.firstLayer(); l < r.endLayer(); l++) {
          bOnly += profile.layer(l).activationBytesForB();
          wf += profile.layer(l).activationBytesForW();
          wb += profile.layer(l).gradientBytesForW();
        }
        long in = r.firstLayer() == 0 ? 0 : profile.layer(r.firstLayer() - 1).outputBytes();
        switch (op.kind()) {
          case F -> held += rec ? in : bOnly + wf;
          case B -> {
            if (rec) {
              peak = Math.max(peak, held + bOnly + wf + wb);
              held += wf + wb - in;
            } else {
              held += wb - bOnly;
            }
          }
          case W -> held -= wf + wb;
          case BW -> {
            if (rec) {
              peak = Math.max(peak, held + bOnly + wf + wb);
            }
            held -= rec ? in : bOnly + wf;
          }
          default -> throw new AssertionError(op);
        }
        peak = Math.max(peak, held);
      }
      assertEquals(fixed + peak, plan.peakBytesPerDevice().get(i), "device " + i + " of " + plan.schedule());
      assertTrue(fixed + peak <= plan.deviceMemoryBytes().get(i), "device " + i + " over its memory");
    }
  }
}
