package io.tandem.schedule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The one timing rule ({@link CompiledSchedule}) against a slow, independent reference: scan the
 * devices over and over, run each device's next op once its inputs have ended.
 */
class CompiledScheduleTest {
  @Test
  void timing_matchesAReferenceScan_forEveryGenerator_underRandomStageCosts() {
    Random rnd = new Random(3);
    for (String name : ScheduleRegistry.names()) {
      for (int p : new int[] {2, 3, 4}) {
        int chunks = name.startsWith("interleaved") ? 2 : 1;
        Schedule s = ScheduleRegistry.generate(name, ScheduleSpec.of(p, 2 * p).withChunksPerDevice(chunks));
        int stages = s.stages();
        double[] f = new double[stages];
        double[] b = new double[stages];
        double[] w = new double[stages];
        for (int v = 0; v < stages; v++) {
          f[v] = 0.5 + rnd.nextDouble();
          b[v] = 0.5 + rnd.nextDouble();
          w[v] = rnd.nextDouble();
        }
        double comm = rnd.nextDouble() * 0.3;
        double[] busy = new double[p];
        double[] finish = CompiledSchedule.of(s).finishTimes(f, b, w, comm, busy);
        double[] expected = referenceFinish(s, f, b, w, comm);
        assertArrayEquals(expected, finish, 1e-9, name + " p=" + p);
        double makespan = Simulator.simulate(s, new StageCosts(f, b, w, comm), MemoryModel.DEFAULT).makespan();
        assertEquals(CompiledSchedule.of(s).time(f, b, w, comm, false).makespan(), makespan, 1e-12, name);
        for (double t : busy) {
          assertTrue(t > 0, name);
        }
      }
    }
  }

  @Test
  void aDeadlockedOrder_isReported_notTimed() {
    Schedule ok = ScheduleRegistry.generate("1f1b", ScheduleSpec.of(2, 2));
    List<List<Op>> ops = new java.util.ArrayList<>(ok.ops());
    List<Op> reversed = new java.util.ArrayList<>(ops.get(1));
    java.util.Collections.reverse(reversed);
    ops.set(1, reversed);
    Schedule bad = new Schedule(ok.name(), ok.microbatches(), ok.placement(), ops, ok.costs());
    double[] one = {1, 1};
    CompiledSchedule order = CompiledSchedule.of(bad);
    assertTrue(order.time(one, one, one, 0, false).deadlocked(order));
    assertThrows(IllegalStateException.class, () -> order.finishTimes(one, one, one, 0, null));
  }

  /** Quadratic fixpoint scan with op-keyed maps: independent of the compiled arrays. */
  private static double[] referenceFinish(Schedule s, double[] f, double[] b, double[] w, double comm) {
    int p = s.devices();
    Map<String, Double> done = new HashMap<>();
    int[] next = new int[p];
    double[] free = new double[p];
    boolean progress = true;
    while (progress) {
      progress = false;
      for (int d = 0; d < p; d++) {
        while (next[d] < s.opsOf(d).size()) {
          Op op = s.opsOf(d).get(next[d]);
          if (!inputsDone(op, s, done)) {
            break;
          }
          int v = op.virtualStage();
          int mb = op.microbatch();
          double ready = 0;
          double dur;
          if (op.kind() == OpKind.F) {
            dur = f[v];
            if (v > 0) {
              ready = done.get("F" + mb + "/" + (v - 1)) + (s.placement().device(v - 1) == d ? 0 : comm);
            }
          } else if (op.kind() == OpKind.W) {
            dur = w[v];
            ready = done.get("B" + mb + "/" + v);
          } else {
            dur = op.kind() == OpKind.B ? b[v] : b[v] + w[v];
            ready = done.get("F" + mb + "/" + v);
            if (v + 1 < s.stages()) {
              ready = Math.max(ready, done.get("G" + mb + "/" + (v + 1)) + (s.placement().device(v + 1) == d ? 0 : comm));
            }
          }
          double end = Math.max(free[d], ready) + dur;
          free[d] = end;
          switch (op.kind()) {
            case F -> done.put("F" + mb + "/" + v, end);
            case B -> {
              done.put("B" + mb + "/" + v, end);
              done.put("G" + mb + "/" + v, end);
            }
            case BW -> done.put("G" + mb + "/" + v, end);
            default -> { }
          }
          next[d]++;
          progress = true;
        }
      }
    }
    return free;
  }

  private static boolean inputsDone(Op op, Schedule s, Map<String, Double> done) {
    int v = op.virtualStage();
    int mb = op.microbatch();
    return switch (op.kind()) {
      case F -> v == 0 || done.containsKey("F" + mb + "/" + (v - 1));
      case W -> done.containsKey("B" + mb + "/" + v);
      default -> done.containsKey("F" + mb + "/" + v)
          && (v + 1 == s.stages() || done.containsKey("G" + mb + "/" + (v + 1)));
    };
  }
}
