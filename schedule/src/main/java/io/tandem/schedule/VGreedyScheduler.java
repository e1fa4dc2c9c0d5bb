package io.tandem.schedule;

import java.util.ArrayList;
import java.util.List;

/**
 * Event-driven list scheduler for the V-shape placement under a per-device activation cap: the
 * construction behind {@code zb-v} and {@code v-zb}, and one candidate family of {@code auto}.
 *
 * <p>Devices decide in time order. A free device runs a ready B (it frees memory and unblocks
 * upstream devices), else a ready F that fits the cap (chunk 1 first: it brings a microbatch to
 * the loss sooner), else a pending W when it would otherwise wait (the "W fills the bubble" rule
 * of Zero Bubble), else it idles until the next op can become ready. A chunk-0 F is taken only
 * when the device also keeps room for that microbatch's chunk-1 F, which makes the construction
 * deadlock-free for any cap of at least one microbatch (two chunk activations): the oldest
 * unfinished microbatch can always advance. The per-device order is the result; the start times
 * it tracks are those the {@link Simulator} computes for that order.
 */
final class VGreedyScheduler {
  private static final double EPS = 1e-9;
  private static final double UNKNOWN = Double.POSITIVE_INFINITY;

  /** Which ready op a free device prefers. */
  enum Preference {
    /** B before F: the 1F1B rule, lowest memory. */
    BACKWARD,
    /** F before B while the cap allows: more warm-up, earlier backward chains downstream. */
    FORWARD,
    /** Alternate: after an F prefer a B and after a B prefer an F. */
    ALTERNATE
  }

  /**
   * Knobs of one construction.
   *
   * @param capChunks activation cap per device, in chunk activations (two per DESIGN.md unit)
   * @param preference F/B preference of a free device
   * @param chunk1BackwardFirst among two ready B's, take chunk 1's (the earlier stage of the
   *     backward pass) first
   * @param wSlack a pending W is started while waiting only if the next op is ready no sooner than
   *     {@code wSlack * W} from now (0: always fill waits with W; 1: only when W fits the gap)
   */
  record Policy(int capChunks, Preference preference, boolean chunk1BackwardFirst, double wSlack) {}

  /** The constructed order, its makespan and peak (chunk activations). */
  record Result(List<List<Op>> ops, double makespan, int peakChunks) {}

  private final int p;
  private final int m;
  private final int stages;
  private final StageCosts costs;
  private final Policy policy;

  private final double[] endF;
  private final double[] endB;
  private final int[][] nextF;
  private final int[][] nextB;
  private final int[][] pendingW; // per device ring of encoded (mb, chunk)
  private final int[] wHead;
  private final int[] wTail;
  private final double[] time;
  private final double[] wake;
  private final boolean[] stuck;
  private final int[] mem;
  private final int[] remaining;
  private final boolean[] lastWasF;
  private final List<List<Op>> ops;
  private int peak;

  private VGreedyScheduler(int devices, int microbatches, StageCosts costs, Policy policy) {
    if (policy.capChunks() < 2) {
      throw new IllegalArgumentException(
          "V-shape schedules need a memory limit of at least 1 (one microbatch's activations)");
    }
    this.p = devices;
    this.m = microbatches;
    this.stages = 2 * devices;
    this.costs = costs;
    this.policy = policy;
    endF = new double[m * stages];
    endB = new double[m * stages];
    java.util.Arrays.fill(endF, -1);
    java.util.Arrays.fill(endB, -1);
    nextF = new int[p][2];
    nextB = new int[p][2];
    pendingW = new int[p][2 * m];
    wHead = new int[p];
    wTail = new int[p];
    time = new double[p];
    wake = new double[p];
    stuck = new boolean[p];
    mem = new int[p];
    remaining = new int[p];
    java.util.Arrays.fill(remaining, 6 * m);
    lastWasF = new boolean[p];
    ops = new ArrayList<>(p);
    for (int d = 0; d < p; d++) {
      ops.add(new ArrayList<>(6 * m));
    }
  }

  /** Builds the order for {@code devices} x {@code microbatches} under {@code policy}. */
  static Result run(int devices, int microbatches, StageCosts costs, Policy policy) {
    return new VGreedyScheduler(devices, microbatches, costs, policy).build();
  }

  private Result build() {
    int left = p;
    while (left > 0) {
      int d = -1;
      double best = UNKNOWN;
      for (int i = 0; i < p; i++) {
        if (remaining[i] == 0) {
          continue;
        }
        double at = stuck[i] ? Math.max(time[i], wake[i]) : time[i];
        if (at < best) {
          best = at;
          d = i;
        }
      }
      if (d < 0) {
        throw new IllegalStateException("V greedy deadlocked (cap " + policy.capChunks() + ")");
      }
      time[d] = best;
      if (decide(d) && remaining[d] == 0) {
        left--;
      }
    }
    double makespan = 0;
    for (int d = 0; d < p; d++) {
      makespan = Math.max(makespan, time[d]);
    }
    return new Result(ops, makespan, peak);
  }

  /** One decision of device {@code d} at {@code time[d]}; true when it placed an op. */
  private boolean decide(int d) {
    double t = time[d];
    int cap = policy.capChunks();
    double rb1 = readyB(d, 1);
    double rb0 = readyB(d, 0);
    double rf1 = readyF(d, 1);
    double rf0 = readyF(d, 0);
    boolean f1Fits = mem[d] + 1 <= cap;
    boolean f0Fits = mem[d] + 2 <= cap;
    int bChunk = pickB(rb1, rb0, t);
    int fChunk = -1;
    if (rf1 >= 0 && rf1 <= t + EPS && f1Fits) {
      fChunk = 1;
    } else if (rf0 >= 0 && rf0 <= t + EPS && f0Fits) {
      fChunk = 0;
    }
    boolean forwardFirst = switch (policy.preference()) {
      case BACKWARD -> false;
      case FORWARD -> true;
      case ALTERNATE -> !lastWasF[d];
    };
    if (bChunk >= 0 && (fChunk < 0 || !forwardFirst)) {
      placeB(d, bChunk, t, bChunk == 1 ? rb1 : rb0);
      return true;
    }
    if (fChunk >= 0) {
      placeF(d, fChunk, t, fChunk == 1 ? rf1 : rf0);
      return true;
    }
    // Nothing runnable now: fill with W, or wait for the next op.
    double next = UNKNOWN;
    next = earliest(next, rb1, true);
    next = earliest(next, rb0, true);
    next = earliest(next, rf1, f1Fits);
    next = earliest(next, rf0, f0Fits);
    boolean blockedByMemory = (rf1 >= 0 && !f1Fits) || (rf0 >= 0 && !f0Fits);
    if (wHead[d] < wTail[d]) {
      int code = pendingW[d][wHead[d]];
      int v = VShape.stage(p, d, code & 1);
      double w = costs.w(v);
      if (blockedByMemory || next == UNKNOWN || next - t >= policy.wSlack() * w - EPS) {
        wHead[d]++;
        place(d, Op.w(code >>> 1, v), t, w);
        mem[d]--;
        return true;
      }
    }
    stuck[d] = true;
    wake[d] = next;
    return false;
  }

  private int pickB(double rb1, double rb0, double t) {
    boolean b1 = rb1 >= 0 && rb1 <= t + EPS;
    boolean b0 = rb0 >= 0 && rb0 <= t + EPS;
    if (b1 && b0) {
      return policy.chunk1BackwardFirst() ? 1 : 0;
    }
    return b1 ? 1 : b0 ? 0 : -1;
  }

  private static double earliest(double current, double ready, boolean allowed) {
    return allowed && ready >= 0 && ready < current ? ready : current;
  }

  /** Ready time of the device's next F on {@code chunk}: -1 none left, UNKNOWN input not placed. */
  private double readyF(int d, int chunk) {
    int mb = nextF[d][chunk];
    if (mb >= m) {
      return -1;
    }
    int v = VShape.stage(p, d, chunk);
    if (v == 0) {
      return 0;
    }
    double in = endF[mb * stages + v - 1];
    if (in < 0) {
      return UNKNOWN;
    }
    return VShape.device(p, v - 1) == d ? in : in + costs.comm();
  }

  /** Ready time of the device's next B on {@code chunk}: -1 none left, UNKNOWN input not placed. */
  private double readyB(int d, int chunk) {
    int mb = nextB[d][chunk];
    if (mb >= m) {
      return -1;
    }
    int v = VShape.stage(p, d, chunk);
    double own = endF[mb * stages + v];
    if (own < 0) {
      return UNKNOWN;
    }
    if (v == stages - 1) {
      return own;
    }
    double grad = endB[mb * stages + v + 1];
    if (grad < 0) {
      return UNKNOWN;
    }
    return Math.max(own, VShape.device(p, v + 1) == d ? grad : grad + costs.comm());
  }

  private void placeF(int d, int chunk, double t, double ready) {
    int mb = nextF[d][chunk]++;
    int v = VShape.stage(p, d, chunk);
    double end = place(d, Op.f(mb, v), Math.max(t, ready), costs.f(v));
    endF[mb * stages + v] = end;
    mem[d]++;
    peak = Math.max(peak, mem[d]);
    lastWasF[d] = true;
  }

  private void placeB(int d, int chunk, double t, double ready) {
    int mb = nextB[d][chunk]++;
    int v = VShape.stage(p, d, chunk);
    double end = place(d, Op.b(mb, v), Math.max(t, ready), costs.b(v));
    endB[mb * stages + v] = end;
    pendingW[d][wTail[d]++] = (mb << 1) | chunk;
    lastWasF[d] = false;
  }

  private double place(int d, Op op, double start, double duration) {
    ops.get(d).add(op);
    double end = start + duration;
    time[d] = end;
    remaining[d]--;
    // Inputs only cross to neighbouring devices: only they (and d) can have new ready ops.
    stuck[d] = false;
    if (d > 0) {
      stuck[d - 1] = false;
    }
    if (d < p - 1) {
      stuck[d + 1] = false;
    }
    return end;
  }
}
