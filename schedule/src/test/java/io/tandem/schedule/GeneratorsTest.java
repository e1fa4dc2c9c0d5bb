package io.tandem.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class GeneratorsTest {
  static Stream<String> names() {
    return ScheduleRegistry.names().stream();
  }

  /** Every generator: every spec it accepts validates; every refusal is one line naming it. */
  @ParameterizedTest
  @MethodSource("names")
  void everyAcceptedSpec_validates(String name) {
    ScheduleGenerator g = ScheduleRegistry.byName(name);
    int accepted = 0;
    List<String> failures = new ArrayList<>();
    for (int p = 1; p <= 16; p++) {
      for (int m = 1; m <= 64; m++) {
        Schedule s;
        try {
          s = g.generate(ScheduleSpec.of(p, m));
        } catch (IllegalArgumentException refused) {
          String msg = refused.getMessage();
          if (msg == null || msg.contains("\n") || !msg.contains(g.name())) {
            failures.add("p=" + p + " m=" + m + " refused without a one-line reason naming it: " + msg);
          }
          continue;
        }
        accepted++;
        try {
          assertEquals(p, s.devices());
          assertEquals(m, s.microbatches());
          assertEquals(g.name(), s.name());
          Validator.validate(s);
        } catch (IllegalArgumentException | AssertionError e) {
          failures.add("p=" + p + " m=" + m + ": " + e.getMessage());
        }
      }
    }
    assertTrue(failures.isEmpty(), failures.size() + " failures, first: " + (failures.isEmpty() ? "" : failures.get(0)));
    assertTrue(accepted >= 64, name + " accepts only " + accepted + " specs");
  }

  @ParameterizedTest
  @CsvSource({"2,2", "2,8", "4,4", "4,8", "4,16", "6,12", "8,8", "8,32", "12,48", "16,16", "16,64", "5,7", "3,10"})
  void zbH1_meetsPaperBound_atOneFOneBPeak(int p, int m) {
    SimulationResult r = Simulator.simulate(new ZeroBubbleH1().generate(ScheduleSpec.of(p, m)));
    assertTrue(r.bubble() <= (p - 1.0) / (3 * m + p - 1) + 1e-9, "bubble " + r.bubble());
    assertTrue(r.maxPeakActivation() <= p + 1e-9, "peak " + r.maxPeakActivation());
  }

  @ParameterizedTest
  @CsvSource({"2,2", "2,8", "4,4", "4,8", "4,16", "6,12", "8,8", "8,32", "12,48", "16,16", "16,64", "5,7", "3,10"})
  void zbH2_atMostZbH1Bubble_withPeakAtMost2p(int p, int m) {
    SimulationResult h1 = Simulator.simulate(new ZeroBubbleH1().generate(ScheduleSpec.of(p, m)));
    SimulationResult h2 = Simulator.simulate(new ZeroBubbleH2().generate(ScheduleSpec.of(p, m)));
    assertTrue(h2.bubble() <= h1.bubble() + 1e-9, "H2 " + h2.bubble() + " vs H1 " + h1.bubble());
    assertTrue(h2.maxPeakActivation() <= 2 * p + 1e-9, "peak " + h2.maxPeakActivation());
  }

  @Test
  void zbH2_beatsZbH1_withUnequalCostsAndComm() {
    ScheduleSpec spec = ScheduleSpec.of(8, 32).withCosts(new OpCosts(1, 2, 1, 0.2));
    double h1 = Simulator.simulate(new ZeroBubbleH1().generate(spec)).bubble();
    double h2 = Simulator.simulate(new ZeroBubbleH2().generate(spec)).bubble();
    assertTrue(h2 < h1 - 0.02, "H2 " + h2 + " vs H1 " + h1);
  }

  @Test
  void zbPeaks_underHalfReleaseAtB_areReportedAndNoLarger() {
    // B frees half of the activation: peaks can only shrink. Values recorded in BENCHMARKS.md.
    MemoryModel half = new MemoryModel(0.5);
    for (ScheduleGenerator g : List.of(new ZeroBubbleH1(), new ZeroBubbleH2())) {
      Schedule s = g.generate(ScheduleSpec.of(8, 32));
      StageCosts costs = StageCosts.uniform(s.costs(), s.stages(), s.chunksPerDevice());
      SimulationResult full = Simulator.simulate(s, costs, MemoryModel.DEFAULT);
      SimulationResult halved = Simulator.simulate(s, costs, half);
      for (int d = 0; d < 8; d++) {
        assertTrue(halved.peakActivation(d) <= full.peakActivation(d) + 1e-12);
        assertTrue(halved.peakActivation(d) >= full.peakActivation(d) / 2 - 1e-12);
      }
      assertEquals(full.makespan(), halved.makespan(), 1e-12);
    }
    // ZB-H1, p=4: device 0 holds its 4 warm-up forwards before any B either way; device 3 runs
    // F B F B F B F B W.. and so holds 4 activations, of which 3 are half freed by their B.
    Schedule h1 = new ZeroBubbleH1().generate(ScheduleSpec.of(4, 16));
    SimulationResult r = Simulator.simulate(h1, StageCosts.uniform(OpCosts.UNIT, 4, 1), half);
    assertEquals(4, r.peakActivation(0), 1e-12);
    assertEquals(2.5, r.peakActivation(3), 1e-12);
    assertEquals(4, Simulator.simulate(h1).peakActivation(3), 1e-12);
  }

  @ParameterizedTest
  @CsvSource({"2,4,2", "4,8,2", "4,16,3", "8,32,4", "1,3,2"})
  void interleaved_beatsOneFOneB(int p, int m, int c) {
    Schedule s = new InterleavedOneFOneB().generate(ScheduleSpec.of(p, m).withChunksPerDevice(c));
    assertEquals(c, s.chunksPerDevice());
    SimulationResult r = Simulator.simulate(s);
    double oneF = (p - 1.0) / (m + p - 1);
    assertTrue(r.bubble() <= oneF + 1e-12, r.bubble() + " vs " + oneF);
    if (p > 1) {
      assertTrue(r.bubble() < oneF);
    }
  }

  @Test
  void interleaved_defaultsToTwoChunks_andRefusesMNotMultipleOfP() {
    assertEquals(2, new InterleavedOneFOneB().generate(ScheduleSpec.of(4, 8)).chunksPerDevice());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new InterleavedOneFOneB().generate(ScheduleSpec.of(4, 6)));
    assertEquals("interleaved-1f1b needs microbatches to be a multiple of devices (m % p == 0), got m=6, p=4",
        e.getMessage());
  }

  @ParameterizedTest
  @CsvSource({"1,5", "2,8", "4,4", "4,17", "8,64", "16,64", "5,3"})
  void twoBW_tagsEveryOp_andKeepsAtMostTwoVersionsLive(int p, int m) {
    Schedule s = new PipeDream2BW().generate(ScheduleSpec.of(p, m));
    int ops = 0;
    for (int d = 0; d < p; d++) {
      Map<Integer, Integer> versionOfMb = new HashMap<>();
      int newest = 0;
      int backwards = 0;
      for (Op op : s.opsOf(d)) {
        ops++;
        int v = s.weightVersions().get(op);
        if (op.kind() == OpKind.F) {
          assertEquals(newest, v, "forward uses the newest version: " + op);
          versionOfMb.put(op.microbatch(), v);
        } else {
          assertEquals(versionOfMb.remove(op.microbatch()), v, "backward uses its forward's version: " + op);
          backwards++;
          newest = backwards / p;
        }
        Set<Integer> live = new HashSet<>(versionOfMb.values());
        live.add(newest);
        assertTrue(live.size() <= 2, "device " + d + " after " + op + ": live versions " + live);
      }
      assertTrue(versionOfMb.isEmpty());
      assertEquals(m / p, newest);
    }
    assertEquals(ops, s.weightVersions().size());
    // no flush: the same makespan as 1F1B over the same window
    assertEquals(Simulator.simulate(new OneFOneB().generate(ScheduleSpec.of(p, m))).makespan(),
        Simulator.simulate(s).makespan(), 1e-12);
  }

  @Test
  void registry_isCaseInsensitive_stable_andListsNamesOnError() {
    assertEquals("1f1b", ScheduleRegistry.byName("1F1B").name());
    assertEquals("zb-h1", ScheduleRegistry.byName(" ZB-H1 ").name());
    assertEquals(List.of("gpipe", "1f1b", "interleaved-1f1b", "zb-h1", "zb-h2", "2bw"),
        ScheduleRegistry.names().subList(0, 6));
    assertEquals(ScheduleRegistry.names(), ScheduleRegistry.names());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ScheduleRegistry.byName("nope"));
    assertTrue(e.getMessage().startsWith("unknown schedule 'nope'; known: gpipe, 1f1b"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
  }

  @Test
  void generators_followTheGivenCosts() {
    OpCosts costs = new OpCosts(1, 2, 0.5, 0.25);
    for (ScheduleGenerator g : ScheduleRegistry.all()) {
      Schedule s;
      try {
        s = g.generate(ScheduleSpec.of(4, 8).withCosts(costs));
      } catch (IllegalArgumentException refused) {
        continue;
      }
      assertEquals(costs, s.costs(), g.name());
      Validator.validate(s);
    }
  }
}
