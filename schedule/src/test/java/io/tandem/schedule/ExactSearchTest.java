package io.tandem.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Issue 17's exact search ({@link VCpSatSearch}, CP-SAT): its schedules validate, stay within the
 * cap and are never worse than the warm start; it proves a building block optimal where it is;
 * the same seed gives the same schedule; {@code auto} uses it.
 */
class ExactSearchTest {
  private static final StageCosts UNIT_V = StageCosts.uniform(OpCosts.UNIT, 8, 2);

  @Test
  void nativesLoadOnLinuxX86() {
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch");
    if (os.contains("linux") && (arch.equals("amd64") || arch.equals("x86_64"))) {
      assertTrue(VCpSatSearch.available(), "OR-Tools natives for linux-x86-64 must load");
    }
  }

  @Test
  void fromVHalf_findsTheOptimumWithinItsPeak_validAndNeverWorse() {
    requireNatives();
    ScheduleSpec spec = ScheduleSpec.of(4, 4);
    Schedule start = new VHalf().generate(spec);
    SimulationResult before = Simulator.simulate(start, UNIT_V, MemoryModel.DEFAULT);
    assertEquals(3, before.maxPeakActivation(), 1e-9);
    VCpSatSearch.Result r = VCpSatSearch.solve(4, 4, UNIT_V, start.ops(), 6, 1, 5, 60);
    assertNotNull(r);
    assertTrue(r.improved(), r.toString());
    assertTrue(r.optimal(), r.toString());
    assertTrue(r.exactTicks());
    Schedule found = new Schedule("exact", 4, Placement.vShape(4), r.ops(), OpCosts.UNIT);
    Validator.validate(found);
    SimulationResult after = Simulator.simulate(found, UNIT_V, MemoryModel.DEFAULT);
    assertTrue(after.maxPeakActivation() <= 3 + 1e-9, "peak " + after.maxPeakActivation());
    assertTrue(after.makespan() < before.makespan() - 1e-9, after.makespan() + " vs " + before.makespan());
    assertEquals(r.makespan(), after.makespan(), 1e-9); // model time = simulator time for whole ticks
    assertEquals(14.5, after.makespan(), 1e-9); // proven optimum at p=4, m=4, 6 chunk activations
  }

  @Test
  void vMinAtItsPeak_provenOptimal_returnedUnchanged() {
    requireNatives();
    ScheduleSpec spec = ScheduleSpec.of(4, 4);
    Schedule vMin = new VMin().generate(spec);
    SimulationResult base = Simulator.simulate(vMin, UNIT_V, MemoryModel.DEFAULT);
    assertEquals(2, base.maxPeakActivation(), 1e-9);
    VCpSatSearch.Result r = VCpSatSearch.solve(4, 4, UNIT_V, vMin.ops(), 4, 1, 20, 120);
    assertNotNull(r);
    assertTrue(r.optimal(), r.toString());
    assertFalse(r.improved());
    assertEquals(vMin.ops(), r.ops());
    assertEquals(base.makespan(), r.makespan(), 1e-9);
    assertEquals(base.makespan(), r.lowerBound(), 1e-9);
  }

  @Test
  void unevenCosts_sameSeedSameSchedule_withinCapAndNeverWorse() {
    requireNatives();
    OpCosts uneven = new OpCosts(1, 2, 1, 0.1);
    ScheduleSpec spec = ScheduleSpec.of(4, 8).withCosts(uneven);
    StageCosts costs = spec.stageCostsFor(2);
    Schedule start = new VMin().generate(spec);
    SimulationResult before = Simulator.simulate(start, costs, MemoryModel.DEFAULT);
    int cap = (int) Math.floor(2 * before.maxPeakActivation() + 1e-9);
    // A deterministic-time budget far below the wall-clock guard: the limit that binds is the
    // machine-independent one, so both runs stop at the same point.
    VCpSatSearch.Result a = VCpSatSearch.solve(4, 8, costs, start.ops(), cap, 7, 0.5, 600);
    VCpSatSearch.Result b = VCpSatSearch.solve(4, 8, costs, start.ops(), cap, 7, 0.5, 600);
    assertNotNull(a);
    assertEquals(a.ops(), b.ops());
    Schedule found = new Schedule("exact", 8, Placement.vShape(4), a.ops(), uneven);
    Validator.validate(found);
    SimulationResult after = Simulator.simulate(found, costs, MemoryModel.DEFAULT);
    assertTrue(after.maxPeakActivation() <= before.maxPeakActivation() + 1e-9);
    assertTrue(after.makespan() <= before.makespan() + 1e-9, after.makespan() + " vs " + before.makespan());
    assertTrue(a.exactTicks()); // 0.5, 1 and 0.1 are whole tenths
  }

  @Test
  void autoWithExactSearch_neverWorse_andReportsTheBound() {
    requireNatives();
    ScheduleSpec spec = ScheduleSpec.of(4, 4).withMemoryLimit(3);
    AutoV.Outcome o = new AutoV(new SearchOptions(1, 200_000, 5)).search(spec);
    Validator.validate(o.schedule());
    SimulationResult r = Simulator.simulate(o.schedule(), UNIT_V, MemoryModel.DEFAULT);
    SimulationResult vHalf = Simulator.simulate(new VHalf().generate(ScheduleSpec.of(4, 4)));
    assertTrue(r.maxPeakActivation() <= 3 + 1e-9);
    assertTrue(r.makespan() <= vHalf.makespan() + 1e-9);
    assertTrue(o.provenOptimal(), o.toString());
    assertEquals(r.makespan(), o.makespanLowerBound(), 1e-9);
  }

  @Test
  void exactTime_mustBeFiniteAndNonNegative() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SearchOptions(1, 0, -1));
    assertTrue(e.getMessage().contains("exact search time"));
    assertThrows(IllegalArgumentException.class, () -> new SearchOptions(1, 0, Double.NaN));
  }

  private static void requireNatives() {
    org.junit.jupiter.api.Assumptions.assumeTrue(VCpSatSearch.available(), "OR-Tools natives not available here");
  }
}
