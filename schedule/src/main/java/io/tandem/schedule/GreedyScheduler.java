package io.tandem.schedule;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds split-backward ({@code F}, {@code B}, {@code W}) op lists by simulating the pipeline
 * and letting each device, whenever it is free, pick the most urgent op it can run: a ready
 * {@code B} (it is on the critical path back to the first stage), else a ready {@code F} if the
 * device holds fewer than its limit of chunk-activations, else a deferred {@code W} (which fills
 * an idle slot and frees memory). Among ready ops of one kind the lowest microbatch wins, then
 * the later virtual stage. {@code W}s are therefore postponed exactly as long as there is other
 * work, which is the idea of the Zero Bubble paper's handcrafted schedules.
 *
 * <p>Works for any placement; {@code F}s and {@code B}s of one virtual stage run in microbatch
 * order. Time moves from one decision point to the next; each costs {@code O(p + chunks)}.
 */
final class GreedyScheduler {
  private final Placement placement;
  private final int m;
  private final int stages;
  private final StageCosts costs;
  private final int[] maxInFlight;
  private final int[][] stagesOf;
  private final double[] fEnd;
  private final double[] bEnd;
  private final int[] nextF;
  private final int[] nextB;
  private final double[] free;
  private final int[] held;
  private final int[] remaining;
  private final double[] nextReady; // per device: earliest known future ready time of a candidate
  private final List<ArrayDeque<Op>> pendingW;
  private final List<List<Op>> out;

  private GreedyScheduler(Placement placement, int m, StageCosts costs, int[] maxInFlight) {
    this.placement = placement;
    this.m = m;
    this.stages = placement.stages();
    this.costs = costs;
    this.maxInFlight = maxInFlight.clone();
    int p = placement.devices();
    if (costs.stages() != stages) {
      throw new IllegalArgumentException(
          "costs cover " + costs.stages() + " virtual stages, the placement has " + stages);
    }
    if (maxInFlight.length != p) {
      throw new IllegalArgumentException("need one in-flight limit per device");
    }
    stagesOf = new int[p][];
    for (int d = 0; d < p; d++) {
      stagesOf[d] = placement.stagesOf(d).stream().mapToInt(Integer::intValue).toArray();
      if (maxInFlight[d] < 1) {
        throw new IllegalArgumentException("device " + d + " must be allowed at least 1 activation");
      }
    }
    fEnd = new double[m * stages];
    bEnd = new double[m * stages];
    Arrays.fill(fEnd, -1);
    Arrays.fill(bEnd, -1);
    nextF = new int[stages];
    nextB = new int[stages];
    free = new double[p];
    held = new int[p];
    remaining = new int[p];
    nextReady = new double[p];
    pendingW = new ArrayList<>(p);
    out = new ArrayList<>(p);
    for (int d = 0; d < p; d++) {
      remaining[d] = 3 * m * stagesOf[d].length;
      pendingW.add(new ArrayDeque<>());
      out.add(new ArrayList<>(remaining[d]));
    }
  }

  /**
   * The op lists, one per device.
   *
   * @param maxInFlight per device, the most chunk-activations (F done, W not yet) it may hold;
   *     at least 1
   */
  static List<List<Op>> build(Placement placement, int m, StageCosts costs, int[] maxInFlight) {
    return new GreedyScheduler(placement, m, costs, maxInFlight).run();
  }

  private List<List<Op>> run() {
    int p = placement.devices();
    while (true) {
      double t = Double.POSITIVE_INFINITY;
      for (int d = 0; d < p; d++) {
        if (remaining[d] > 0) {
          t = Math.min(t, free[d]);
        }
      }
      if (t == Double.POSITIVE_INFINITY) {
        return out;
      }
      // Every device free at t picks an op; repeat while zero-length ops keep some at t.
      boolean progress = true;
      while (progress) {
        progress = false;
        for (int d = 0; d < p; d++) {
          if (remaining[d] > 0 && free[d] == t && pick(d, t)) {
            progress = true;
          }
        }
      }
      // Those still at t wait for the next moment something may change.
      double othersNext = Double.POSITIVE_INFINITY;
      for (int d = 0; d < p; d++) {
        if (remaining[d] > 0 && free[d] > t) {
          othersNext = Math.min(othersNext, free[d]);
        }
      }
      for (int d = 0; d < p; d++) {
        if (remaining[d] > 0 && free[d] == t) {
          double next = Math.min(othersNext, nextReady[d]);
          if (next == Double.POSITIVE_INFINITY) {
            throw new IllegalStateException("greedy scheduler stuck on device " + d + " at time " + t);
          }
          free[d] = next;
        }
      }
    }
  }

  /** Device {@code d} at time {@code t} runs the most urgent op it can; false if none is ready. */
  private boolean pick(int d, double t) {
    double comm = costs.comm();
    double soonest = Double.POSITIVE_INFINITY;
    int bestB = -1;
    for (int v : stagesOf[d]) {
      int mb = nextB[v];
      if (mb >= m || fEnd[mb * stages + v] < 0) {
        continue;
      }
      double ready = fEnd[mb * stages + v];
      if (v + 1 < stages) {
        double g = bEnd[mb * stages + v + 1];
        if (g < 0) {
          continue;
        }
        ready = Math.max(ready, placement.device(v + 1) == d ? g : g + comm);
      }
      if (ready > t) {
        soonest = Math.min(soonest, ready);
      } else if (bestB < 0 || mb < nextB[bestB] || (mb == nextB[bestB] && v > bestB)) {
        bestB = v;
      }
    }
    Op chosen = null;
    if (bestB >= 0) {
      int mb = nextB[bestB]++;
      chosen = Op.b(mb, bestB);
      free[d] = t + costs.b(bestB);
      bEnd[mb * stages + bestB] = free[d];
      pendingW.get(d).addLast(Op.w(mb, bestB));
    } else {
      int bestF = -1;
      if (held[d] < maxInFlight[d]) {
        for (int v : stagesOf[d]) {
          int mb = nextF[v];
          if (mb >= m) {
            continue;
          }
          double ready = 0;
          if (v > 0) {
            double e = fEnd[mb * stages + v - 1];
            if (e < 0) {
              continue;
            }
            ready = placement.device(v - 1) == d ? e : e + comm;
          }
          if (ready > t) {
            soonest = Math.min(soonest, ready);
          } else if (bestF < 0 || mb < nextF[bestF] || (mb == nextF[bestF] && v > bestF)) {
            bestF = v;
          }
        }
      }
      if (bestF >= 0) {
        int mb = nextF[bestF]++;
        chosen = Op.f(mb, bestF);
        free[d] = t + costs.f(bestF);
        fEnd[mb * stages + bestF] = free[d];
        held[d]++;
      } else if (!pendingW.get(d).isEmpty()) {
        chosen = pendingW.get(d).pollFirst();
        free[d] = t + costs.w(chosen.virtualStage());
        held[d]--;
      }
    }
    nextReady[d] = soonest;
    if (chosen == null) {
      return false;
    }
    out.get(d).add(chosen);
    remaining[d]--;
    return true;
  }
}
