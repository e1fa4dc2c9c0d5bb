package io.tandem.schedule;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fast re-timing of V-shape op orders for {@link VOrderSearch}: the {@link Simulator}'s rules on
 * int-coded ops, with all buffers allocated once, so one evaluation of p=16, m=64 takes tens of
 * microseconds. Ops are coded {@code mb << 3 | kind << 1 | chunk} (kind 0 = F, 1 = B, 2 = W).
 */
final class VOrderEvaluator {
  static final int F = 0;
  static final int B = 1;
  static final int W = 2;

  private final int p;
  private final int stages;
  private final double comm;
  private final double[][] dur; // [kind][stage]
  private final double[] fEnd;
  private final double[] bEnd;
  private final int[] next;
  private final double[] free;
  private final int[] stack;
  private final boolean[] queued;
  private double[][] starts = new double[0][];

  VOrderEvaluator(int devices, int microbatches, StageCosts costs) {
    this.p = devices;
    this.stages = 2 * devices;
    this.comm = costs.comm();
    dur = new double[3][stages];
    for (int v = 0; v < stages; v++) {
      dur[F][v] = costs.f(v);
      dur[B][v] = costs.b(v);
      dur[W][v] = costs.w(v);
    }
    fEnd = new double[microbatches * stages];
    bEnd = new double[microbatches * stages];
    next = new int[p];
    free = new double[p];
    stack = new int[p];
    queued = new boolean[p];
  }

  static int code(int mb, int kind, int chunk) {
    return mb << 3 | kind << 1 | chunk;
  }

  static int kind(int code) {
    return (code >>> 1) & 3;
  }

  static int chunk(int code) {
    return code & 1;
  }

  static int microbatch(int code) {
    return code >>> 3;
  }

  /** Codes the per-device lists; null when an op is a fused BW (not searched). */
  static int[][] encode(int devices, List<List<Op>> ops) {
    int[][] out = new int[devices][];
    for (int d = 0; d < devices; d++) {
      List<Op> list = ops.get(d);
      out[d] = new int[list.size()];
      for (int i = 0; i < list.size(); i++) {
        Op op = list.get(i);
        if (op.kind() == OpKind.BW) {
          return null;
        }
        int chunk = op.virtualStage() == d ? 0 : 1;
        out[d][i] = code(op.microbatch(), op.kind().ordinal(), chunk);
      }
    }
    return out;
  }

  static List<List<Op>> decode(int devices, int[][] order) {
    List<List<Op>> out = new ArrayList<>(devices);
    OpKind[] kinds = {OpKind.F, OpKind.B, OpKind.W};
    for (int d = 0; d < devices; d++) {
      List<Op> list = new ArrayList<>(order[d].length);
      for (int c : order[d]) {
        list.add(new Op(kinds[kind(c)], microbatch(c), VShape.stage(devices, d, chunk(c))));
      }
      out.add(list);
    }
    return out;
  }

  /**
   * Times {@code order} (every op as early as its device and inputs allow); returns the makespan,
   * or infinity when the orders deadlock.
   */
  double makespan(int[][] order) {
    Arrays.fill(fEnd, -1);
    Arrays.fill(bEnd, -1);
    Arrays.fill(next, 0);
    Arrays.fill(free, 0);
    if (starts.length != p || starts[0].length < order[0].length) {
      starts = new double[p][order[0].length];
    }
    int top = 0;
    for (int d = p - 1; d >= 0; d--) {
      stack[top++] = d;
      queued[d] = true;
    }
    while (top > 0) {
      int d = stack[--top];
      queued[d] = false;
      int[] ops = order[d];
      double t = free[d];
      int i = next[d];
      while (i < ops.length) {
        int c = ops[i];
        int k = (c >>> 1) & 3;
        int v = (c & 1) == 0 ? d : stages - 1 - d;
        int key = (c >>> 3) * stages + v;
        double ready;
        int wake = -1;
        if (k == F) {
          if (v == 0) {
            ready = 0;
          } else {
            double e = fEnd[key - 1];
            if (e < 0) {
              break;
            }
            ready = v == p ? e : e + comm; // stages p-1 and p share a device
          }
        } else if (k == W) {
          ready = bEnd[key];
          if (ready < 0) {
            break;
          }
        } else {
          ready = fEnd[key];
          if (ready < 0) {
            break;
          }
          if (v + 1 < stages) {
            double g = bEnd[key + 1];
            if (g < 0) {
              break;
            }
            ready = Math.max(ready, v + 1 == p ? g : g + comm);
          }
        }
        t = Math.max(t, ready);
        starts[d][i] = t;
        t += dur[k][v];
        if (k == F) {
          fEnd[key] = t;
          if (v + 1 < stages) {
            wake = v + 1 < p ? v + 1 : stages - 2 - v;
          }
        } else if (k == B) {
          bEnd[key] = t;
          if (v > 0) {
            wake = v - 1 < p ? v - 1 : stages - v;
          }
        }
        i++;
        if (wake >= 0 && wake != d && !queued[wake]) {
          next[d] = i;
          free[d] = t;
          stack[top++] = wake;
          queued[wake] = true;
        }
      }
      next[d] = i;
      free[d] = t;
    }
    double makespan = 0;
    for (int d = 0; d < p; d++) {
      if (next[d] < order[d].length) {
        return Double.POSITIVE_INFINITY;
      }
      makespan = Math.max(makespan, free[d]);
    }
    return makespan;
  }

  /** Start of op {@code i} of device {@code d} in the latest {@link #makespan} call. */
  double start(int d, int i) {
    return starts[d][i];
  }
}
