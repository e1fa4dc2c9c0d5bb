package io.tandem.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Issue 17: auto's order search at exactly V-Min's and V-Half's peak memory is valid, within the
 * limit, never worse than those schedules, strictly better where the building blocks' unit-slot
 * model breaks (B about 2F, comm > 0), and deterministic for a seed. A fast subset of the 36-cell
 * table; {@code tandem bench search} prints all of it.
 */
class AutoSearchTest {
  private static final OpCosts UNEVEN = new OpCosts(1, 2, 1, 0.1);

  @ParameterizedTest(name = "p={0} m={1} {2}")
  @CsvSource({"4, 8, v-min", "4, 8, v-half", "8, 16, v-min", "8, 16, v-half", "6, 24, v-half"})
  void unevenCosts_strictlyBetterAtTheFixedSchedulesPeak(int p, int m, String fixed) {
    SearchBenchmark.Cell cell = SearchBenchmark.measure(ScheduleSpec.of(p, m).withCosts(UNEVEN), fixed,
        SearchOptions.DEFAULT);
    assertTrue(cell.neverWorse(), cell.toString());
    assertTrue(cell.strictlyBetter(), cell.toString());
  }

  @ParameterizedTest(name = "p={0} m={1} {2}")
  @CsvSource({"2, 4, v-min", "4, 4, v-half", "4, 16, v-min", "6, 12, v-half", "8, 8, v-min", "8, 32, v-half"})
  void unitCosts_neverWorseAtTheFixedSchedulesPeak(int p, int m, String fixed) {
    SearchBenchmark.Cell cell = SearchBenchmark.measure(ScheduleSpec.of(p, m), fixed, SearchOptions.DEFAULT);
    assertTrue(cell.neverWorse(), cell.toString());
  }

  @Test
  void sameSeed_sameSchedule_otherSeedStillValid() {
    ScheduleSpec spec = ScheduleSpec.of(6, 12).withCosts(UNEVEN).withMemoryLimit(3);
    Schedule a = new AutoV(new SearchOptions(5, 1_000_000)).generate(spec);
    Schedule b = new AutoV(new SearchOptions(5, 1_000_000)).generate(spec);
    assertEquals(a.ops(), b.ops());
    for (long seed = 1; seed <= 3; seed++) {
      Schedule s = new AutoV(new SearchOptions(seed, 500_000)).generate(spec);
      Validator.validate(s);
      SimulationResult r = Simulator.simulate(s, spec.stageCostsFor(2), MemoryModel.DEFAULT);
      assertTrue(r.maxPeakActivation() <= 3 + 1e-9, "seed " + seed + " peak " + r.maxPeakActivation());
    }
  }

  @Test
  void perStageCosts_heavierLastStage_searchHelpsAndFits() {
    int p = 4;
    int m = 8;
    double[] f = new double[2 * p];
    double[] b = new double[2 * p];
    double[] w = new double[2 * p];
    Arrays.fill(f, 0.5);
    Arrays.fill(b, 1.0);
    Arrays.fill(w, 0.5);
    f[2 * p - 1] = 0.9; // the last stage carries the output layer and the loss
    b[2 * p - 1] = 1.8;
    w[2 * p - 1] = 0.9;
    StageCosts costs = new StageCosts(f, b, w, 0.05);
    ScheduleSpec spec = ScheduleSpec.of(p, m).withStageCosts(costs).withMemoryLimit(2);
    Schedule off = new AutoV(SearchOptions.OFF).generate(spec);
    Schedule on = new AutoV(SearchOptions.DEFAULT).generate(spec);
    Validator.validate(on);
    SimulationResult before = Simulator.simulate(off, costs, MemoryModel.DEFAULT);
    SimulationResult after = Simulator.simulate(on, costs, MemoryModel.DEFAULT);
    assertTrue(after.maxPeakActivation() <= 2 + 1e-9);
    assertTrue(after.makespan() < before.makespan() - 1e-9, after.makespan() + " vs " + before.makespan());
  }

  @Test
  void orderEvaluator_timesLikeTheSimulator() {
    for (OpCosts c : new OpCosts[] {OpCosts.UNIT, UNEVEN}) {
      ScheduleSpec spec = ScheduleSpec.of(6, 12).withCosts(c);
      for (Schedule s : new Schedule[] {new VHalf().generate(spec), new VMin().generate(spec), new VZb().generate(spec)}) {
        StageCosts costs = spec.stageCostsFor(2);
        double expected = Simulator.simulate(s, costs, MemoryModel.DEFAULT).makespan();
        double got = new VOrderEvaluator(6, 12, costs).makespan(VOrderEvaluator.encode(6, s.ops()));
        assertEquals(expected, got, 1e-9, s.name() + " " + c);
      }
    }
  }

  @Test
  void searchOff_isTheBestBuildingBlock_andBudgetIsChecked() {
    ScheduleSpec spec = ScheduleSpec.of(4, 8).withMemoryLimit(2);
    assertNotNull(new AutoV(SearchOptions.OFF).generate(spec));
    assertEquals(0, SearchOptions.OFF.evaluationsFor(100));
    assertEquals(SearchOptions.MAX_EVALUATIONS, SearchOptions.DEFAULT.evaluationsFor(6));
    assertNotEquals(0, SearchOptions.DEFAULT.evaluationsFor(6L * 64 * 512));
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> new SearchOptions(1, -1));
    assertTrue(e.getMessage().contains("budget"));
  }

  @Test
  void anExactSearchCutByTheWallClock_isReported_oneEndedByItsBudgetOrAProofIsNot() {
    SearchOptions search = new SearchOptions(3, 1000, 1.0); // guard: 30 s
    assertTrue(AutoV.stoppedByClock(exact(false, 0.4, 30.2), search), "guard reached, budget not spent");
    assertFalse(AutoV.stoppedByClock(exact(false, 1.0, 30.2), search), "budget spent as the guard came");
    assertFalse(AutoV.stoppedByClock(exact(false, 1.0, 3.0), search), "budget spent");
    assertFalse(AutoV.stoppedByClock(exact(true, 0.1, 30.2), search), "proven optimal");
    assertFalse(AutoV.stoppedByClock(exact(false, 0.1, 2.0), search), "ended early without the guard (no solution)");
  }

  private static VCpSatSearch.Result exact(boolean optimal, double deterministicSeconds, double seconds) {
    return new VCpSatSearch.Result(java.util.List.of(), 10, 9, optimal, false, seconds, deterministicSeconds, true);
  }
}
