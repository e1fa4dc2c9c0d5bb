package io.tandem.schedule;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs a schedule on paper (DESIGN.md, "Schedule JSON"): each device executes its ops in list
 * order; an op starts when its device is free and its inputs are there, plus {@code comm} for an
 * input that comes from another device. Dependencies: {@code F(mb,v)} after {@code F(mb,v-1)};
 * {@code B}/{@code BW(mb,v)} after {@code F(mb,v)} and {@code B}/{@code BW(mb,v+1)} (the last
 * virtual stage: after its own {@code F}); {@code W(mb,v)} after {@code B(mb,v)}.
 *
 * <p>The schedule is validated first ({@link Validator}); a deadlock is reported as a {@link
 * ScheduleValidationException}. Time and memory are linear in the number of ops (index arrays,
 * a wake-up list of devices), so p=64, m=512 with 128 virtual stages takes milliseconds.
 */
public final class Simulator {
  private Simulator() {}

  /** Simulates with the schedule's own uniform costs and {@link MemoryModel#DEFAULT}. */
  public static SimulationResult simulate(Schedule s) {
    return simulate(s, StageCosts.uniform(s.costs(), s.stages(), s.chunksPerDevice()), MemoryModel.DEFAULT);
  }

  /** Simulates with per-stage {@code costs} and the given memory model. */
  public static SimulationResult simulate(Schedule s, StageCosts costs, MemoryModel memory) {
    Validator.checkStructure(s);
    return run(s, costs, memory, true);
  }

  /**
   * The simulation proper; assumes {@link Validator#checkStructure} passed. Throws on deadlock.
   * With {@code collect} false only deadlock freedom is established and null is returned.
   */
  static SimulationResult run(Schedule s, StageCosts costs, MemoryModel memory, boolean collect) {
    int p = s.devices();
    int stages = s.stages();
    int c = s.chunksPerDevice();
    if (costs.stages() != stages) {
      throw new IllegalArgumentException(
          "costs cover " + costs.stages() + " virtual stages, schedule '" + s.name() + "' has " + stages);
    }
    double[] durF = new double[stages];
    double[] durB = new double[stages];
    double[] durW = new double[stages];
    for (int v = 0; v < stages; v++) {
      durF[v] = costs.f(v);
      durB[v] = costs.b(v);
      durW[v] = costs.w(v);
    }
    CompiledSchedule order = CompiledSchedule.of(s);
    CompiledSchedule.Timing timing = order.time(durF, durB, durW, costs.comm(), collect);
    if (timing.deadlocked(order)) {
      throw deadlock(s, order, timing);
    }
    if (!collect) {
      return null;
    }
    double[] free = timing.finish();
    double[] busy = timing.busy();
    double[][] start = timing.start();
    double[][] end = timing.end();

    double makespan = 0;
    double totalBusy = 0;
    for (int d = 0; d < p; d++) {
      makespan = Math.max(makespan, free[d]);
      totalBusy += busy[d];
    }
    double bubble = makespan > 0 ? 1 - totalBusy / (p * makespan) : 0;
    double release = memory.bReleaseFraction();
    double[] peak = new double[p];
    double[] idle = new double[p];
    List<OpTiming> timings = new ArrayList<>(s.ops().stream().mapToInt(List::size).sum());
    for (int d = 0; d < p; d++) {
      // Ops of one device run one after another in list order, so its held activation only
      // changes at its own ops: the peak is the largest prefix sum. Counts stay integers so the
      // sums are exact; units per F are 1/c.
      long nF = 0;
      long nB = 0;
      long nW = 0;
      long nBW = 0;
      double best = 0;
      List<Op> ops = s.opsOf(d);
      int[] kinds = order.kinds(d);
      for (int i = 0; i < kinds.length; i++) {
        switch (kinds[i]) {
          case CompiledSchedule.F -> nF++;
          case CompiledSchedule.B -> nB++;
          case CompiledSchedule.W -> nW++;
          default -> nBW++;
        }
        double held = nF - nBW - release * nB - (1 - release) * nW;
        best = Math.max(best, held);
        timings.add(new OpTiming(d, ops.get(i), start[d][i], end[d][i]));
      }
      peak[d] = best / c;
      idle[d] = makespan - busy[d];
    }
    return new SimulationResult(makespan, bubble, peak, idle, timings);
  }

  private static ScheduleValidationException deadlock(Schedule s, CompiledSchedule order,
      CompiledSchedule.Timing timing) {
    int stages = s.stages();
    for (int d = 0; d < s.devices(); d++) {
      int i = timing.next()[d];
      int[] kinds = order.kinds(d);
      if (i >= kinds.length) {
        continue;
      }
      int mb = order.microbatches(d)[i];
      int v = order.stages(d)[i];
      int key = mb * stages + v;
      Op op = new Op(OpKind.values()[kinds[i]], mb, v);
      Op waitsFor;
      if (kinds[i] == CompiledSchedule.F) {
        waitsFor = Op.f(mb, v - 1);
      } else if (kinds[i] == CompiledSchedule.W) {
        waitsFor = Op.b(mb, v);
      } else if (timing.forwardEnd()[key] < 0) {
        waitsFor = Op.f(mb, v);
      } else {
        waitsFor = new Op(backwardKind(s, mb, v + 1), mb, v + 1);
      }
      int waitDevice = order.deviceOf(waitsFor.virtualStage());
      return new ScheduleValidationException(
          "deadlock: op " + op + " on device " + d + " (op " + i + " of its list) waits for "
              + waitsFor + " on device " + waitDevice + ", which never runs before it",
          op, d);
    }
    throw new IllegalStateException("deadlock reported but every device finished");
  }

  private static OpKind backwardKind(Schedule s, int mb, int v) {
    for (Op op : s.opsOf(s.placement().device(v))) {
      if (op.microbatch() == mb && op.virtualStage() == v && op.kind() == OpKind.BW) {
        return OpKind.BW;
      }
    }
    return OpKind.B;
  }
}
