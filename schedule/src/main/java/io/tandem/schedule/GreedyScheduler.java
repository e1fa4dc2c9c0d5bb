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
 * order. Package-private helper of the zero-bubble generators.
 */
final class GreedyScheduler {
  private GreedyScheduler() {}

  /**
   * The op lists, one per device.
   *
   * @param maxInFlight per device, the most chunk-activations (F done, W not yet) it may hold;
   *     at least 1
   */
  static List<List<Op>> build(Placement placement, int m, StageCosts costs, int[] maxInFlight) {
    int p = placement.devices();
    int stages = placement.stages();
    if (costs.stages() != stages) {
      throw new IllegalArgumentException(
          "costs cover " + costs.stages() + " virtual stages, the placement has " + stages);
    }
    int[][] stagesOf = new int[p][];
    for (int d = 0; d < p; d++) {
      stagesOf[d] = placement.stagesOf(d).stream().mapToInt(Integer::intValue).toArray();
      if (maxInFlight[d] < 1) {
        throw new IllegalArgumentException("device " + d + " must be allowed at least 1 activation");
      }
    }
    double comm = costs.comm();
    double[] fEnd = new double[m * stages];
    double[] bEnd = new double[m * stages];
    Arrays.fill(fEnd, -1);
    Arrays.fill(bEnd, -1);
    int[] nextF = new int[stages];
    int[] nextB = new int[stages];
    double[] free = new double[p];
    int[] held = new int[p];
    int[] remaining = new int[p];
    boolean[] waiting = new boolean[p]; // tried at its free time, found nothing to run
    List<ArrayDeque<Op>> pendingW = new ArrayList<>(p);
    List<List<Op>> out = new ArrayList<>(p);
    for (int d = 0; d < p; d++) {
      remaining[d] = 3 * m * stagesOf[d].length;
      pendingW.add(new ArrayDeque<>());
      out.add(new ArrayList<>(remaining[d]));
    }
    int left = 0;
    for (int r : remaining) {
      left += r;
    }
    while (left > 0) {
      int d = -1;
      for (int i = 0; i < p; i++) {
        if (remaining[i] > 0 && (d < 0 || free[i] < free[d]
            || (free[i] == free[d] && waiting[d] && !waiting[i]))) {
          d = i;
        }
      }
      double t = free[d];
      double nextEvent = Double.POSITIVE_INFINITY;
      // Ready B: lowest microbatch, then later stage.
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
          nextEvent = Math.min(nextEvent, ready);
        } else if (bestB < 0 || mb < nextB[bestB] || (mb == nextB[bestB] && v > bestB)) {
          bestB = v;
        }
      }
      Op chosen = null;
      if (bestB >= 0) {
        int mb = nextB[bestB]++;
        chosen = Op.b(mb, bestB);
        double end = t + costs.b(bestB);
        bEnd[mb * stages + bestB] = end;
        pendingW.get(d).addLast(Op.w(mb, bestB));
        free[d] = end;
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
              nextEvent = Math.min(nextEvent, ready);
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
      if (chosen != null) {
        out.get(d).add(chosen);
        remaining[d]--;
        left--;
        Arrays.fill(waiting, false);
        continue;
      }
      // Nothing to run now. Let devices that have not looked at time t yet go first; then wait
      // for the next moment something may change.
      boolean othersFirst = false;
      for (int i = 0; i < p; i++) {
        if (i != d && remaining[i] > 0) {
          if (free[i] > t) {
            nextEvent = Math.min(nextEvent, free[i]);
          } else if (!waiting[i]) {
            othersFirst = true;
          }
        }
      }
      if (othersFirst) {
        waiting[d] = true;
        continue;
      }
      if (nextEvent == Double.POSITIVE_INFINITY) {
        throw new IllegalStateException("greedy scheduler stuck on device " + d + " at time " + t);
      }
      free[d] = nextEvent;
      waiting[d] = false;
    }
    return out;
  }
}
