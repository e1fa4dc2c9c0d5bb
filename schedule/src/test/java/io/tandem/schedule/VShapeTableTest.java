package io.tandem.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 2's table: with F=B=W=1, comm=0, V-Min, V-Half and V-ZB match or beat every cell the
 * papers' reference generator reaches (peak <= cell, bubble <= cell + 0.001), and V-ZB stays
 * within 1% of the bound (p-1)/(6m+p-1). All numbers come from the {@link Simulator}.
 */
class VShapeTableTest {

  @ParameterizedTest(name = "p={0} m={1}")
  @CsvSource({
    // p, m, V-Min bubble, peak, V-Half bubble, peak, V-ZB bubble, peak
    "2, 2, 0.200, 2, 0.200, 2, 0.077, 2",
    "2, 4, 0.111, 2, 0.040, 2, 0.040, 2",
    "2, 8, 0.059, 2, 0.020, 2, 0.020, 2",
    "4, 4, 0.314, 2, 0.294, 3, 0.111, 4",
    "4, 8, 0.186, 2, 0.094, 3, 0.059, 4",
    "4, 16, 0.103, 2, 0.050, 3, 0.030, 4",
    "6, 6, 0.321, 3, 0.250, 4, 0.122, 6",
    "6, 12, 0.191, 3, 0.133, 4, 0.065, 6",
    "6, 24, 0.106, 3, 0.071, 4, 0.034, 6",
    "8, 8, 0.360, 4, 0.262, 5, 0.127, 8",
    "8, 16, 0.220, 4, 0.150, 5, 0.068, 8",
    "8, 32, 0.123, 4, 0.081, 5, 0.035, 8",
    "12, 12, 0.363, 5, 0.287, 7, 0.133, 12",
    "12, 24, 0.222, 5, 0.168, 7, 0.071, 12",
    "12, 48, 0.125, 5, 0.091, 7, 0.037, 12",
    "16, 16, 0.381, 6, 0.299, 9, 0.135, 16",
    "16, 32, 0.235, 6, 0.176, 9, 0.072, 16",
    "16, 64, 0.133, 6, 0.097, 9, 0.038, 16",
  })
  void matchesOrBeatsEveryCell(int p, int m, double minBubble, double minPeak, double halfBubble,
      double halfPeak, double zbBubble, double zbPeak) {
    ScheduleSpec spec = ScheduleSpec.of(p, m);
    assertCell(new VMin().generate(spec), minBubble, minPeak);
    assertCell(new VHalf().generate(spec), halfBubble, halfPeak);
    SimulationResult zb = assertCell(new VZb().generate(spec), zbBubble, zbPeak);
    double bound = (p - 1.0) / (6.0 * m + p - 1);
    assertTrue(zb.bubble() >= bound - 1e-9, "nothing beats the bound");
    assertTrue(zb.bubble() <= bound * 1.01 + 1e-12, "V-ZB " + zb.bubble() + " vs bound " + bound);
  }

  @ParameterizedTest(name = "p={0} m={1}")
  @CsvSource({"1, 1", "2, 8", "4, 16", "8, 32", "16, 64", "5, 3"})
  void zbV_staysWithinOneFOneBMemory(int p, int m) {
    Schedule s = new ZbV().generate(ScheduleSpec.of(p, m));
    SimulationResult r = Simulator.simulate(s);
    assertTrue(r.maxPeakActivation() <= p + 1e-9);
    assertTrue(r.bubble() < (p - 1.0) / (m + p - 1) + 1e-9, "ZB-V no worse than 1F1B");
    assertEquals("zb-v", s.name());
  }

  private static SimulationResult assertCell(Schedule s, double bubble, double peak) {
    Validator.validate(s);
    SimulationResult r = Simulator.simulate(s);
    assertTrue(r.maxPeakActivation() <= peak + 1e-9,
        s.name() + " peak " + r.maxPeakActivation() + " > cell " + peak);
    assertTrue(r.bubble() <= bubble + 0.001,
        s.name() + " bubble " + r.bubble() + " > cell " + bubble);
    return r;
  }
}
