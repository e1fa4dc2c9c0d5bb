package io.tandem.schedule;

import java.util.ArrayList;
import java.util.Arrays;
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
  private static final int F = 0;
  private static final int B = 1;
  private static final int W = 2;
  private static final int BW = 3;

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
    int[] deviceOf = new int[stages];
    double[] durF = new double[stages];
    double[] durB = new double[stages];
    double[] durW = new double[stages];
    for (int v = 0; v < stages; v++) {
      deviceOf[v] = s.placement().device(v);
      durF[v] = costs.f(v);
      durB[v] = costs.b(v);
      durW[v] = costs.w(v);
    }
    double comm = costs.comm();

    // Per device: op kind, microbatch and stage as flat arrays.
    int[][] kind = new int[p][];
    int[][] mbOf = new int[p][];
    int[][] stageOf = new int[p][];
    for (int d = 0; d < p; d++) {
      List<Op> ops = s.opsOf(d);
      int n = ops.size();
      kind[d] = new int[n];
      mbOf[d] = new int[n];
      stageOf[d] = new int[n];
      for (int i = 0; i < n; i++) {
        Op op = ops.get(i);
        kind[d][i] = op.kind().ordinal();
        mbOf[d][i] = op.microbatch();
        stageOf[d][i] = op.virtualStage();
      }
    }
    int keys = s.microbatches() * stages;
    double[] fEnd = new double[keys]; // end of F(mb, v); -1 = not run yet
    double[] gEnd = new double[keys]; // end of B or BW(mb, v): input gradient ready
    double[] bEnd = new double[keys]; // end of B(mb, v) only (W waits for it)
    Arrays.fill(fEnd, -1);
    Arrays.fill(gEnd, -1);
    Arrays.fill(bEnd, -1);
    double[][] start = new double[p][];
    double[][] end = new double[p][];
    for (int d = 0; d < p; d++) {
      start[d] = new double[kind[d].length];
      end[d] = new double[kind[d].length];
    }
    int[] next = new int[p];
    double[] free = new double[p];
    double[] busy = new double[p];

    int[] stack = new int[p];
    boolean[] queued = new boolean[p];
    int top = 0;
    for (int d = p - 1; d >= 0; d--) {
      stack[top++] = d;
      queued[d] = true;
    }
    while (top > 0) {
      int d = stack[--top];
      queued[d] = false;
      int[] kd = kind[d];
      while (next[d] < kd.length) {
        int i = next[d];
        int k = kd[i];
        int mb = mbOf[d][i];
        int v = stageOf[d][i];
        int key = mb * stages + v;
        double ready;
        double dur;
        if (k == F) {
          if (v == 0) {
            ready = 0;
          } else {
            double e = fEnd[key - 1];
            if (e < 0) {
              break;
            }
            ready = deviceOf[v - 1] == d ? e : e + comm;
          }
          dur = durF[v];
        } else if (k == W) {
          double e = bEnd[key];
          if (e < 0) {
            break;
          }
          ready = e;
          dur = durW[v];
        } else {
          double e = fEnd[key];
          if (e < 0) {
            break;
          }
          ready = e;
          if (v + 1 < stages) {
            double g = gEnd[key + 1];
            if (g < 0) {
              break;
            }
            ready = Math.max(ready, deviceOf[v + 1] == d ? g : g + comm);
          }
          dur = k == B ? durB[v] : durB[v] + durW[v];
        }
        double t0 = Math.max(free[d], ready);
        double t1 = t0 + dur;
        start[d][i] = t0;
        end[d][i] = t1;
        free[d] = t1;
        busy[d] += dur;
        next[d] = i + 1;
        int wake = -1;
        if (k == F) {
          fEnd[key] = t1;
          if (v + 1 < stages) {
            wake = deviceOf[v + 1];
          }
        } else if (k != W) {
          gEnd[key] = t1;
          if (k == B) {
            bEnd[key] = t1;
          }
          if (v > 0) {
            wake = deviceOf[v - 1];
          }
        }
        if (wake >= 0 && wake != d && !queued[wake]) {
          stack[top++] = wake;
          queued[wake] = true;
        }
      }
    }
    for (int d = 0; d < p; d++) {
      if (next[d] < kind[d].length) {
        throw deadlock(s, kind, mbOf, stageOf, next, fEnd, deviceOf);
      }
    }
    if (!collect) {
      return null;
    }

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
      for (int i = 0; i < kind[d].length; i++) {
        switch (kind[d][i]) {
          case F -> nF++;
          case B -> nB++;
          case W -> nW++;
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

  private static ScheduleValidationException deadlock(
      Schedule s, int[][] kind, int[][] mbOf, int[][] stageOf, int[] next, double[] fEnd, int[] deviceOf) {
    int stages = s.stages();
    for (int d = 0; d < s.devices(); d++) {
      int i = next[d];
      if (i >= kind[d].length) {
        continue;
      }
      int mb = mbOf[d][i];
      int v = stageOf[d][i];
      int key = mb * stages + v;
      Op op = new Op(OpKind.values()[kind[d][i]], mb, v);
      Op waitsFor;
      if (kind[d][i] == F) {
        waitsFor = Op.f(mb, v - 1);
      } else if (kind[d][i] == W) {
        waitsFor = Op.b(mb, v);
      } else if (fEnd[key] < 0) {
        waitsFor = Op.f(mb, v);
      } else {
        waitsFor = new Op(backwardKind(s, mb, v + 1), mb, v + 1);
      }
      int waitDevice = deviceOf[waitsFor.virtualStage()];
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
