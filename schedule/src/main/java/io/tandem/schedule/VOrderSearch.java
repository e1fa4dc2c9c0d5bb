package io.tandem.schedule;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded local search over the per-device op orders of a V-shape schedule under an activation
 * cap (issue 17). Every op carries a key, its start time in the current timing; a move shifts the
 * keys of a group of ops by a random amount of time and re-sorts each device's order by key:
 *
 * <ul>
 *   <li>one op kind of one microbatch on one device;
 *   <li>one op kind of one microbatch on every device (its forward or backward wave);
 *   <li>every op of one microbatch;
 *   <li>one op kind of every microbatch from some microbatch on (a tail of the pipeline).
 * </ul>
 *
 * A moved order is kept when every W stays after its B, each chunk's F's, B's and W's stay in
 * microbatch order (the runtime sums weight gradients in W order), every device's peak stays
 * within the cap and the re-timed makespan ({@link VOrderEvaluator}) does not grow; ties are kept too, so the
 * search walks plateaus. Keys are then reset to the new start times. The result is never worse
 * than the start. Deterministic for a seed: the budget counts evaluations, not time.
 */
final class VOrderSearch {
  private static final double EPS = 1e-9;
  private static final int MOVE_KINDS = 4;

  /** The best order found, its makespan and the evaluations spent. */
  record Result(List<List<Op>> ops, double makespan, int evaluations) {}

  private final int p;
  private final int m;
  private final int n;
  private final int capChunks;
  private final VOrderEvaluator eval;
  private final double lowerBound;
  private final double unit;
  private int[][] order;
  private int[][] candidate;
  private final double[][] key;
  private final double[] movedKey;
  private final int[] movedCode;
  private final double[] keptKey;
  private final boolean[] seenB;
  private final int[] lastMb = new int[6];

  private VOrderSearch(int p, int m, StageCosts costs, int[][] start, int capChunks) {
    this.p = p;
    this.m = m;
    this.n = 6 * m;
    this.capChunks = capChunks;
    this.eval = new VOrderEvaluator(p, m, costs);
    this.lowerBound = VShape.makespanLowerBound(p, m, costs);
    double sum = 0;
    for (int v = 0; v < 2 * p; v++) {
      sum += costs.f(v) + costs.b(v) + costs.w(v);
    }
    this.unit = Math.max(sum / (6 * p), 1e-6);
    this.order = start;
    this.candidate = new int[p][n];
    this.key = new double[p][n];
    this.movedKey = new double[n];
    this.movedCode = new int[n];
    this.keptKey = new double[n];
    this.seenB = new boolean[2 * m];
  }

  /**
   * Searches from {@code start} (valid, within {@code capChunks} chunk activations per device);
   * returns null when it is not searchable (fused BW ops) or nothing strictly faster was found.
   */
  static Result improve(int p, int m, StageCosts costs, List<List<Op>> start, int capChunks,
      SearchOptions options) {
    int[][] order = VOrderEvaluator.encode(p, start);
    int evaluations = options.evaluationsFor(6L * m * p);
    if (order == null || evaluations <= 0) {
      return null;
    }
    for (int[] ops : order) {
      if (ops.length != 6 * m) {
        return null;
      }
    }
    return new VOrderSearch(p, m, costs, order, capChunks).run(options.seed(), evaluations);
  }

  private Result run(long seed, int maxEvaluations) {
    double startMakespan = eval.makespan(order);
    if (startMakespan == Double.POSITIVE_INFINITY) {
      return null;
    }
    resetKeys();
    double current = startMakespan;
    double best = startMakespan;
    int[][] bestOrder = null;
    SplittableRandom rng = new SplittableRandom(seed);
    int evaluations = 0;
    long attempts = 0;
    long maxAttempts = 8L * maxEvaluations;
    while (evaluations < maxEvaluations && attempts++ < maxAttempts && best > lowerBound + EPS) {
      if (!propose(rng)) {
        continue;
      }
      evaluations++;
      double makespan = eval.makespan(candidate);
      if (makespan <= current + EPS) {
        int[][] swap = order;
        order = candidate;
        candidate = swap;
        current = makespan;
        resetKeys();
        if (makespan < best - EPS) {
          best = makespan;
          bestOrder = copy(order);
        }
      }
    }
    if (bestOrder == null) {
      return null;
    }
    return new Result(VOrderEvaluator.decode(p, bestOrder), best, evaluations);
  }

  /** Keys := start times of the latest evaluation (which timed {@link #order}). */
  private void resetKeys() {
    for (int d = 0; d < p; d++) {
      for (int i = 0; i < n; i++) {
        key[d][i] = eval.start(d, i);
      }
    }
  }

  /** Builds a moved order into {@link #candidate}; false when it breaks a rule or moves nothing. */
  private boolean propose(SplittableRandom rng) {
    int move = rng.nextInt(MOVE_KINDS);
    int mb = rng.nextInt(m);
    int kind = rng.nextInt(3);
    int device = rng.nextInt(p);
    double delta = (rng.nextInt(12) + 1) * unit * 0.5 * (rng.nextBoolean() ? 1 : -1);
    boolean changed = false;
    for (int d = 0; d < p; d++) {
      if (move == 0 && d != device) {
        System.arraycopy(order[d], 0, candidate[d], 0, n);
        continue;
      }
      int moved = 0;
      int kept = 0;
      int[] ops = order[d];
      int[] out = candidate[d];
      // Unmoved ops stay in order (their keys increase along it); moved ones are merged back in.
      for (int i = 0; i < n; i++) {
        int c = ops[i];
        int cmb = VOrderEvaluator.microbatch(c);
        int ck = VOrderEvaluator.kind(c);
        boolean hit = switch (move) {
          case 0, 1 -> cmb == mb && ck == kind;
          case 2 -> cmb == mb;
          default -> cmb >= mb && ck == kind;
        };
        if (hit) {
          movedKey[moved] = key[d][i] + delta;
          movedCode[moved++] = c;
        } else {
          keptKey[kept] = key[d][i];
          out[kept++] = c;
        }
      }
      if (moved == 0) {
        continue;
      }
      changed = true;
      merge(out, kept, moved, delta < 0);
      if (!rulesHold(out)) {
        return false;
      }
    }
    return changed;
  }

  /**
   * Merges the moved ops (keys in {@link #movedKey}, increasing) into the {@code kept} unmoved
   * ops at the front of {@code out} (keys in {@link #keptKey}); an op moved earlier goes before
   * an unmoved op with the same key, one moved later after it.
   */
  private void merge(int[] out, int kept, int moved, boolean earlier) {
    int[] keptCodes = Arrays.copyOf(out, kept);
    double[] keptKeys = keptKey;
    int a = 0;
    int b = 0;
    int o = 0;
    while (a < kept || b < moved) {
      boolean takeMoved;
      if (a == kept) {
        takeMoved = true;
      } else if (b == moved) {
        takeMoved = false;
      } else {
        takeMoved = earlier ? movedKey[b] <= keptKeys[a] : movedKey[b] < keptKeys[a];
      }
      out[o++] = takeMoved ? movedCode[b++] : keptCodes[a++];
    }
  }

  /**
   * Every W after its B, the held chunk activations never above the cap, and on each chunk the
   * F's, B's and W's each in microbatch order: the runtime sums weight gradients in W order, so
   * this keeps training bit-identical to one device (and to the other schedules).
   */
  private boolean rulesHold(int[] ops) {
    Arrays.fill(seenB, false);
    Arrays.fill(lastMb, -1);
    int held = 0;
    for (int c : ops) {
      int k = VOrderEvaluator.kind(c);
      int mb = VOrderEvaluator.microbatch(c);
      int chunk = VOrderEvaluator.chunk(c);
      int lane = k * 2 + chunk;
      if (mb < lastMb[lane]) {
        return false;
      }
      lastMb[lane] = mb;
      int id = mb << 1 | chunk;
      if (k == VOrderEvaluator.F) {
        if (++held > capChunks) {
          return false;
        }
      } else if (k == VOrderEvaluator.B) {
        seenB[id] = true;
      } else {
        if (!seenB[id]) {
          return false;
        }
        held--;
      }
    }
    return true;
  }

  private static int[][] copy(int[][] order) {
    int[][] out = new int[order.length][];
    for (int d = 0; d < order.length; d++) {
      out[d] = order[d].clone();
    }
    return out;
  }
}
