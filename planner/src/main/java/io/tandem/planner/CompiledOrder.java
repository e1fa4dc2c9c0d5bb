package io.tandem.planner;

import io.tandem.schedule.Op;
import io.tandem.schedule.Schedule;
import java.util.Arrays;
import java.util.List;

/**
 * A generated op order flattened to int arrays once, so the planner can time it under many
 * per-stage costs cheaply. The timing rule is {@link io.tandem.schedule.Simulator}'s (DESIGN.md:
 * an op starts when its device is free and its inputs are there, plus {@code comm} across
 * devices); it skips validation (the orders come from the registry's generators) and does not
 * record per-op timings. A test checks it against the Simulator.
 */
final class CompiledOrder {
  static final int F = 0;
  static final int B = 1;
  static final int W = 2;
  static final int BW = 3;

  private final int devices;
  private final int stages;
  private final int microbatches;
  private final int[] deviceOf;
  private final int[][] kind;
  private final int[][] mb;
  private final int[][] stage;

  CompiledOrder(Schedule s) {
    devices = s.devices();
    stages = s.stages();
    microbatches = s.microbatches();
    deviceOf = new int[stages];
    for (int v = 0; v < stages; v++) {
      deviceOf[v] = s.placement().device(v);
    }
    kind = new int[devices][];
    mb = new int[devices][];
    stage = new int[devices][];
    for (int d = 0; d < devices; d++) {
      List<Op> ops = s.opsOf(d);
      kind[d] = new int[ops.size()];
      mb[d] = new int[ops.size()];
      stage[d] = new int[ops.size()];
      for (int i = 0; i < ops.size(); i++) {
        Op op = ops.get(i);
        kind[d][i] = switch (op.kind()) {
          case F -> F;
          case B -> B;
          case W -> W;
          case BW -> BW;
        };
        mb[d][i] = op.microbatch();
        stage[d][i] = op.virtualStage();
      }
    }
  }

  int devices() {
    return devices;
  }

  /** Op kinds of device {@code d} in order ({@link #F}, {@link #B}, {@link #W}, {@link #BW}). */
  int[] kinds(int d) {
    return kind[d];
  }

  /** Virtual stages of device {@code d}'s ops in order. */
  int[] stages(int d) {
    return stage[d];
  }

  /**
   * Times the order: returns each device's finish time, and {@code busy[d]} (if not null) gets
   * its busy time. Durations are per virtual stage; BW takes B + W.
   */
  double[] finishTimes(double[] durF, double[] durB, double[] durW, double comm, double[] busy) {
    int keys = microbatches * stages;
    double[] fEnd = new double[keys];
    double[] gEnd = new double[keys];
    double[] bEnd = new double[keys];
    Arrays.fill(fEnd, -1);
    Arrays.fill(gEnd, -1);
    Arrays.fill(bEnd, -1);
    int[] next = new int[devices];
    double[] free = new double[devices];
    int[] stack = new int[devices];
    boolean[] queued = new boolean[devices];
    int top = 0;
    for (int d = devices - 1; d >= 0; d--) {
      stack[top++] = d;
      queued[d] = true;
    }
    while (top > 0) {
      int d = stack[--top];
      queued[d] = false;
      int[] kd = kind[d];
      int[] md = mb[d];
      int[] sd = stage[d];
      while (next[d] < kd.length) {
        int i = next[d];
        int k = kd[i];
        int v = sd[i];
        int key = md[i] * stages + v;
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
        double t1 = Math.max(free[d], ready) + dur;
        free[d] = t1;
        if (busy != null) {
          busy[d] += dur;
        }
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
    for (int d = 0; d < devices; d++) {
      if (next[d] < kind[d].length) {
        throw new IllegalStateException("generated order deadlocks on device " + d);
      }
    }
    return free;
  }
}
