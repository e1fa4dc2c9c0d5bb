package io.tandem.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Validity sweeps, {@code auto}'s memory contract, non-uniform costs and refusals. */
class VShapeGeneratorsTest {
  private static final List<ScheduleGenerator> FIXED = List.of(new ZbV(), new VMin(), new VHalf(), new VZb());

  @Test
  void fixedGenerators_emitTheVPlacement() {
    for (ScheduleGenerator g : FIXED) {
      Schedule s = g.generate(ScheduleSpec.of(5, 9));
      assertEquals(Placement.vShape(5), s.placement());
      assertEquals(g.name(), s.name());
      Validator.validate(s);
    }
  }

  /**
   * {@code GeneratorsTest} validates every registered generator (these included) on the full
   * p in 1..16, m in 1..64 grid at default settings; here {@code auto} under tight limits.
   */
  @ParameterizedTest(name = "p={0}")
  @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
  void auto_underTightLimits_validatesAndFits(int p) {
    for (int m : new int[] {1, 3, 16, 64}) {
      for (double limit : new double[] {1, Math.max(1, p / 3.0), Math.max(1, p / 2.0)}) {
        Schedule s = new AutoV().generate(ScheduleSpec.of(p, m).withMemoryLimit(limit));
        Validator.validate(s);
        assertTrue(Simulator.simulate(s).maxPeakActivation() <= limit + 1e-9, "p=" + p + " m=" + m + " limit " + limit);
      }
    }
  }

  @ParameterizedTest(name = "p={0} m={1}")
  @CsvSource({"4, 16", "6, 12", "8, 8", "5, 20", "12, 24"})
  void auto_respectsTheLimitAndIsMonotone(int p, int m) {
    double previous = Double.POSITIVE_INFINITY;
    for (double limit = 1; limit <= p + 1; limit += 0.5) {
      SimulationResult r = Simulator.simulate(new AutoV().generate(ScheduleSpec.of(p, m).withMemoryLimit(limit)));
      assertTrue(r.maxPeakActivation() <= limit + 1e-9, "limit " + limit + " peak " + r.maxPeakActivation());
      assertTrue(r.bubble() <= previous + 1e-12, "limit " + limit + ": " + r.bubble() + " > " + previous);
      previous = r.bubble();
    }
  }

  @ParameterizedTest(name = "p={0} m={1}")
  @CsvSource({"4, 16", "8, 32", "6, 6", "16, 32"})
  void auto_atTheirPeaksIsAtLeastAsGoodAsVMinVHalfVZb(int p, int m) {
    for (ScheduleGenerator g : List.of(new VMin(), new VHalf(), new VZb())) {
      SimulationResult fixed = Simulator.simulate(g.generate(ScheduleSpec.of(p, m)));
      SimulationResult auto = Simulator.simulate(
          new AutoV().generate(ScheduleSpec.of(p, m).withMemoryLimit(fixed.maxPeakActivation())));
      assertTrue(auto.bubble() <= fixed.bubble() + 1e-12, g.name() + ": auto " + auto.bubble());
      assertTrue(auto.maxPeakActivation() <= fixed.maxPeakActivation() + 1e-9);
    }
  }

  @Test
  void nonUniformCosts_areHonoured() {
    int p = 4;
    int m = 12;
    double[] f = new double[2 * p];
    double[] b = new double[2 * p];
    double[] w = new double[2 * p];
    for (int v = 0; v < 2 * p; v++) {
      f[v] = 0.5 + 0.1 * v;
      b[v] = 1.0;
      w[v] = v == 2 * p - 1 ? 1.5 : 0.25;
    }
    StageCosts costs = new StageCosts(f, b, w, 0.1);
    ScheduleSpec spec = ScheduleSpec.of(p, m).withStageCosts(costs);
    for (ScheduleGenerator g : FIXED) {
      Schedule s = g.generate(spec);
      Validator.validate(s);
      SimulationResult r = Simulator.simulate(s, costs, MemoryModel.DEFAULT);
      assertTrue(r.bubble() < 1 && r.makespan() > 0);
      double limit = r.maxPeakActivation();
      SimulationResult auto = Simulator.simulate(new AutoV().generate(spec.withMemoryLimit(limit)), costs,
          MemoryModel.DEFAULT);
      assertTrue(auto.makespan() <= r.makespan() + 1e-9, g.name() + " beats auto at its own peak");
    }
  }

  @Test
  void greedyTiming_isTheSimulatorsTiming() {
    StageCosts costs = new StageCosts(
        new double[] {1, 0.5, 2, 1, 0.7, 1.3}, new double[] {1, 1, 3, 1, 0.2, 1},
        new double[] {0.5, 1, 0.5, 1, 0.5, 1}, 0.3);
    for (VGreedyScheduler.Policy policy : VZb.policies(4)) {
      VGreedyScheduler.Result g = VGreedyScheduler.run(3, 7, costs, policy);
      Schedule s = new Schedule("t", 7, Placement.vShape(3), g.ops(), OpCosts.UNIT);
      SimulationResult r = Simulator.simulate(s, costs, MemoryModel.DEFAULT);
      assertEquals(r.makespan(), g.makespan(), 1e-9);
      assertEquals(r.maxPeakActivation(), g.peakChunks() / 2.0, 1e-12);
    }
  }

  @Test
  void unsupportedSpecs_areRefusedWithOneLine() {
    IllegalArgumentException low = assertThrows(IllegalArgumentException.class,
        () -> new AutoV().generate(ScheduleSpec.of(4, 8).withMemoryLimit(0.5)));
    assertTrue(low.getMessage().contains("memory limit"));
    assertFalse(low.getMessage().contains("\n"));
    StageCosts wrong = StageCosts.uniform(OpCosts.UNIT, 4, 1);
    for (ScheduleGenerator g : List.of(new ZbV(), new VMin(), new VHalf(), new VZb(), new AutoV())) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> g.generate(ScheduleSpec.of(4, 8).withStageCosts(wrong)));
      assertFalse(e.getMessage().contains("\n"));
    }
  }

  @Test
  void registryKnowsTheVGenerators() {
    for (String name : List.of("zb-v", "v-min", "v-half", "v-zb", "auto")) {
      assertEquals(name, ScheduleRegistry.byName(name).name());
    }
  }

  @Test
  void buildingBlocks_rejectCollidingSlotsAndFamilyIsValid() {
    assertThrows(IllegalArgumentException.class, () -> new BuildingBlock(new int[][] {{0, 6, 1, 2}}));
    for (int p = 1; p <= 9; p++) {
      List<BuildingBlock> family = BuildingBlock.family(p);
      assertTrue(!family.isEmpty() && family.size() <= 16, "p=" + p);
      for (BuildingBlock block : family) {
        Validator.validate(new Schedule("b", 5, Placement.vShape(p), BlockPlanner.plan(block, 5, true), OpCosts.UNIT));
      }
    }
  }
}
