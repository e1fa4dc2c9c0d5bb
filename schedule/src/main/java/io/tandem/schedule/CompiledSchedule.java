package io.tandem.schedule;

import java.util.Arrays;
import java.util.List;

/**
 * A schedule's per-device op orders flattened to int arrays once, and the one timing rule of
 * the project (DESIGN.md, "Schedule JSON"): each device runs its ops in list order; an op starts
 * when its device is free and its inputs are there, plus {@code comm} for an input from another
 * device. The {@link Simulator} times through it (after validating), and so does the planner,
 * which times one order under many per-stage costs. It does not validate: a deadlock shows as
 * {@link Timing#deadlocked()}.
 */
public final class CompiledSchedule {
  /** Op kind codes in {@link #kinds(int)}. */
  public static final int F = 0;
  public static final int B = 1;
  public static final int W = 2;
  public static final int BW = 3;

  private final int devices;
  private final int stages;
  private final int microbatches;
  private final int[] deviceOf;
  private final int[][] kind;
  private final int[][] mb;
  private final int[][] stage;

  private CompiledSchedule(Schedule s) {
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
        kind[d][i] = code(op.kind());
        mb[d][i] = op.microbatch();
        stage[d][i] = op.virtualStage();
      }
    }
  }

  /** Flattens {@code s} (linear in its ops). */
  public static CompiledSchedule of(Schedule s) {
    return new CompiledSchedule(s);
  }

  /** The code of {@code kind} in {@link #kinds(int)}. */
  public static int code(OpKind kind) {
    return switch (kind) {
      case F -> F;
      case B -> B;
      case W -> W;
      case BW -> BW;
    };
  }

  public int devices() {
    return devices;
  }

  public int stages() {
    return stages;
  }

  public int microbatches() {
    return microbatches;
  }

  /** The device of virtual stage {@code v}. */
  public int deviceOf(int v) {
    return deviceOf[v];
  }

  /** Op kinds of device {@code d} in order ({@link #F}, {@link #B}, {@link #W}, {@link #BW}); do not modify. */
  public int[] kinds(int d) {
    return kind[d];
  }

  /** Microbatches of device {@code d}'s ops in order; do not modify. */
  public int[] microbatches(int d) {
    return mb[d];
  }

  /** Virtual stages of device {@code d}'s ops in order; do not modify. */
  public int[] stages(int d) {
    return stage[d];
  }

  /**
   * The outcome of timing the order. {@code finish[d]} and {@code busy[d]} per device; {@code
   * start}/{@code end} per op (null unless asked for); {@code next[d]} is the index of the first
   * op device {@code d} could not run (its list length when it finished); {@code forwardEnd} is
   * the end time of {@code F(mb, v)} at {@code mb * stages + v} (-1: never ran).
   */
  public record Timing(double[] finish, double[] busy, double[][] start, double[][] end, int[] next,
      double[] forwardEnd) {
    /** Whether some device stopped before the end of its list. */
    public boolean deadlocked(CompiledSchedule order) {
      for (int d = 0; d < next.length; d++) {
        if (next[d] < order.kind[d].length) {
          return true;
        }
      }
      return false;
    }

    /** The largest finish time. */
    public double makespan() {
      double m = 0;
      for (double t : finish) {
        m = Math.max(m, t);
      }
      return m;
    }
  }

  /**
   * Each device's finish time (and its busy time into {@code busy}, when not null), for callers
   * that time generated orders many times; throws {@link IllegalStateException} on a deadlock.
   */
  public double[] finishTimes(double[] durF, double[] durB, double[] durW, double comm, double[] busy) {
    Timing t = time(durF, durB, durW, comm, false);
    if (t.deadlocked(this)) {
      throw new IllegalStateException("generated order deadlocks");
    }
    if (busy != null) {
      for (int d = 0; d < devices; d++) {
        busy[d] += t.busy()[d];
      }
    }
    return t.finish();
  }

  /**
   * Times the order with per-virtual-stage durations ({@code BW} takes B + W). Linear in the
   * number of ops (a wake-up stack of devices whose inputs may have arrived).
   *
   * @param perOp whether to record each op's start and end
   */
  public Timing time(double[] durF, double[] durB, double[] durW, double comm, boolean perOp) {
    int keys = microbatches * stages;
    double[] fEnd = new double[keys]; // end of F(mb, v); -1 = not run yet
    double[] gEnd = new double[keys]; // end of B or BW(mb, v): input gradient ready
    double[] bEnd = new double[keys]; // end of B(mb, v) only (W waits for it)
    Arrays.fill(fEnd, -1);
    Arrays.fill(gEnd, -1);
    Arrays.fill(bEnd, -1);
    double[][] start = perOp ? new double[devices][] : null;
    double[][] end = perOp ? new double[devices][] : null;
    if (perOp) {
      for (int d = 0; d < devices; d++) {
        start[d] = new double[kind[d].length];
        end[d] = new double[kind[d].length];
      }
    }
    int[] next = new int[devices];
    double[] free = new double[devices];
    double[] busy = new double[devices];
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
        double t0 = Math.max(free[d], ready);
        double t1 = t0 + dur;
        if (perOp) {
          start[d][i] = t0;
          end[d][i] = t1;
        }
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
    return new Timing(free, busy, start, end, next, fEnd);
  }
}
