package io.tandem.schedule;

import com.google.ortools.Loader;
import com.google.ortools.sat.CpModel;
import com.google.ortools.sat.CpSolver;
import com.google.ortools.sat.CpSolverStatus;
import com.google.ortools.sat.CumulativeConstraint;
import com.google.ortools.sat.IntVar;
import com.google.ortools.sat.IntervalVar;
import com.google.ortools.sat.LinearExpr;
import com.google.ortools.sat.ReservoirConstraint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Exact schedule search for issue 17: a CP-SAT model (Google OR-Tools) of a V-shape schedule with
 * two chunks per device that minimises the makespan under a per-device activation cap.
 *
 * <p>Every F, B and W of every (microbatch, virtual stage) is an interval of its (tick-rounded)
 * duration on its device; a device runs one op at a time; F follows the previous stage's F, B the
 * same stage's F and the next stage's B, W its B, with {@code comm} added across devices (the
 * {@link Simulator}'s rules). Each chunk activation is held over {@code [start of F, start of
 * W)} and each device's held count stays within the cap: exactly the simulator's prefix count of
 * {@link MemoryModel#DEFAULT} (activations held from F until W), because a device's ops run in
 * start order. On each chunk the F's, B's and W's each run in microbatch order (the rule {@link
 * VOrderSearch} keeps: the runtime sums weight gradients in W order).
 *
 * <p>The solver is warm-started with a given order (its as-soon-as-possible timing is the hint and
 * the makespan's upper bound), so the result is never worse. It runs on a fixed seed with a
 * deterministic-time budget and one worker, so a run is reproducible; a wall-clock cap guards
 * against a very slow machine. When the solver reports OPTIMAL, no schedule obeying these rules
 * is faster at that cap (up to the tick rounding of non-integer costs).
 */
final class VCpSatSearch {
  /** Most ops for which the model is built (p=16, m=64 has 6,144). */
  static final int MAX_OPS = 6_400;

  /** Most ops for which held activations are a reservoir constraint rather than a cumulative one. */
  static final int RESERVOIR_OPS = 512;

  /**
   * The solver's outcome.
   *
   * @param ops the best order found (the warm start when nothing better was found)
   * @param makespan its makespan in the model's (tick-rounded) time
   * @param lowerBound the solver's proven lower bound on the makespan, same units
   * @param optimal whether the solver proved {@code makespan} optimal
   * @param improved whether the order differs from the warm start with a smaller model makespan
   * @param seconds wall time of model building and solving
   * @param deterministicSeconds the solver's deterministic time spent (machine-independent)
   * @param exactTicks whether every cost is a whole number of ticks, so the model's times (and
   *     its bound and optimality) are the simulator's, not rounded
   */
  record Result(List<List<Op>> ops, double makespan, double lowerBound, boolean optimal, boolean improved,
      double seconds, double deterministicSeconds, boolean exactTicks) {}

  private VCpSatSearch() {}

  /** Whether the OR-Tools natives load on this machine (tried once). */
  static boolean available() {
    return Natives.LOADED;
  }

  private static final class Natives {
    static final boolean LOADED = load();

    private static boolean load() {
      try {
        Loader.loadNativeLibraries();
        return true;
      } catch (Throwable e) { // missing natives for this platform: auto falls back to local search
        return false;
      }
    }
  }

  /**
   * Minimises the makespan of a V-shape schedule with at most {@code capChunks} chunk activations
   * per device, warm-started from {@code start} (valid, within the cap, no fused BW). Returns null
   * when the model is not applicable (natives missing, too many ops, a zero-cost op).
   */
  static Result solve(int p, int m, StageCosts costs, List<List<Op>> start, int capChunks, long seed,
      double deterministicSeconds, double wallSeconds) {
    return solve(p, m, costs, start, capChunks, seed, deterministicSeconds, wallSeconds, true);
  }

  /**
   * As above; {@code laneOrder} false drops the microbatch-order rule on each chunk's F's, B's and
   * W's (a relaxation: its optimum is a lower bound for every schedule under the memory model, used
   * to state optimality without that rule).
   */
  static Result solve(int p, int m, StageCosts costs, List<List<Op>> start, int capChunks, long seed,
      double deterministicSeconds, double wallSeconds, boolean laneOrder) {
    return solve(p, m, costs, start, capChunks, seed, deterministicSeconds, wallSeconds, laneOrder, RESERVOIR_OPS);
  }

  /** As above, with held activations a reservoir up to {@code reservoirOps} ops (proof runs). */
  static Result solve(int p, int m, StageCosts costs, List<List<Op>> start, int capChunks, long seed,
      double deterministicSeconds, double wallSeconds, boolean laneOrder, int reservoirOps) {
    long t0 = System.nanoTime();
    int[][] order = VOrderEvaluator.encode(p, start);
    if (!available() || order == null || 6L * m * p > MAX_OPS || capChunks < 2) {
      return null;
    }
    Ticks ticks = Ticks.of(costs);
    if (ticks == null) {
      return null;
    }
    int stages = 2 * p;
    // The hint: the warm start timed as soon as possible with the tick durations.
    VOrderEvaluator eval = new VOrderEvaluator(p, m, ticks.asCosts());
    double hintMakespan = eval.makespan(order);
    if (hintMakespan == Double.POSITIVE_INFINITY) {
      return null;
    }
    long horizon = Math.round(hintMakespan);
    long[][][] hint = new long[3][m][stages]; // [kind][mb][stage]
    for (int d = 0; d < p; d++) {
      for (int i = 0; i < order[d].length; i++) {
        int c = order[d][i];
        int v = VShape.stage(p, d, VOrderEvaluator.chunk(c));
        hint[VOrderEvaluator.kind(c)][VOrderEvaluator.microbatch(c)][v] = Math.round(eval.start(d, i));
      }
    }

    CpModel model = new CpModel();
    IntVar[][][] s = new IntVar[3][m][stages];
    List<List<IntervalVar>> onDevice = new ArrayList<>();
    for (int d = 0; d < p; d++) {
      onDevice.add(new ArrayList<>());
    }
    for (int k = 0; k < 3; k++) {
      for (int mb = 0; mb < m; mb++) {
        for (int v = 0; v < stages; v++) {
          long dur = ticks.duration(k, v);
          IntVar var = model.newIntVar(0, horizon - dur, "s" + k + "_" + mb + "_" + v);
          s[k][mb][v] = var;
          int d = VShape.device(p, v);
          onDevice.get(d).add(model.newFixedSizeIntervalVar(var, dur, "i" + k + "_" + mb + "_" + v));
          model.addHint(var, hint[k][mb][v]);
        }
      }
    }
    // A chunk activation is held over [start of F, start of W). Small models count it with a
    // reservoir (+1 at F, -1 at W: CP-SAT expands it into order literals, which prunes well and
    // proves optimality on small cells, but grows with the square of the ops per device); larger
    // ones with a cumulative constraint over the held intervals (linear size).
    boolean reservoir = 6L * m * p <= reservoirOps;
    for (int d = 0; d < p; d++) {
      int[] chunkStages = {VShape.stage(p, d, 0), VShape.stage(p, d, 1)};
      if (reservoir) {
        ReservoirConstraint held = model.addReservoirConstraint(0, capChunks);
        for (int v : chunkStages) {
          for (int mb = 0; mb < m; mb++) {
            held.addEvent(s[0][mb][v], 1);
            held.addEvent(s[2][mb][v], -1);
          }
        }
      } else {
        CumulativeConstraint held = model.addCumulative(capChunks);
        for (int v : chunkStages) {
          for (int mb = 0; mb < m; mb++) {
            IntVar length = model.newIntVar(1, horizon, "held_" + mb + "_" + v);
            model.addHint(length, hint[2][mb][v] - hint[0][mb][v]);
            held.addDemand(model.newIntervalVar(s[0][mb][v], length, s[2][mb][v], "held_" + mb + "_" + v), 1);
          }
        }
      }
    }
    for (List<IntervalVar> intervals : onDevice) {
      model.addNoOverlap(intervals);
    }
    for (int mb = 0; mb < m; mb++) {
      for (int v = 0; v < stages; v++) {
        if (v > 0) {
          after(model, s[0][mb][v - 1], ticks.duration(0, v - 1) + ticks.comm(p, v - 1, v), s[0][mb][v]);
        }
        after(model, s[0][mb][v], ticks.duration(0, v), s[1][mb][v]);
        if (v + 1 < stages) {
          after(model, s[1][mb][v + 1], ticks.duration(1, v + 1) + ticks.comm(p, v + 1, v), s[1][mb][v]);
        }
        after(model, s[1][mb][v], ticks.duration(1, v), s[2][mb][v]);
        if (laneOrder && mb + 1 < m) {
          for (int k = 0; k < 3; k++) {
            after(model, s[k][mb][v], ticks.duration(k, v), s[k][mb + 1][v]);
          }
        }
      }
    }
    // Every op ends before some W ends (with the lane order: the last W of its chunk).
    IntVar makespan = model.newIntVar(Math.min(ticks.lowerBound(p, m), horizon), horizon, "makespan");
    for (int v = 0; v < stages; v++) {
      for (int mb = laneOrder ? m - 1 : 0; mb < m; mb++) {
        after(model, s[2][mb][v], ticks.duration(2, v), makespan);
      }
    }
    model.addHint(makespan, horizon);
    model.minimize(makespan);

    CpSolver solver = new CpSolver();
    solver.getParameters()
        .setNumWorkers(1)
        .setRandomSeed((int) (seed & 0x7fffffff))
        .setMaxDeterministicTime(deterministicSeconds)
        .setMaxTimeInSeconds(wallSeconds)
        .setLogSearchProgress(false);
    CpSolverStatus status = solver.solve(model);
    boolean found = status == CpSolverStatus.OPTIMAL || status == CpSolverStatus.FEASIBLE;
    double seconds = (System.nanoTime() - t0) / 1e9;
    double det = solver.response().getDeterministicTime();
    if (!found) {
      return new Result(start, horizon / ticks.perUnit, 0, false, false, seconds, det, ticks.exact);
    }
    long best = solver.value(makespan);
    double bound = solver.bestObjectiveBound() / ticks.perUnit;
    boolean optimal = status == CpSolverStatus.OPTIMAL;
    if (best >= horizon) {
      return new Result(start, horizon / ticks.perUnit, bound, optimal, false, seconds, det, ticks.exact);
    }
    List<List<Op>> ops = new ArrayList<>(p);
    for (int d = 0; d < p; d++) {
      List<long[]> timed = new ArrayList<>(); // {start, kind, mb, stage}
      for (int chunk = 0; chunk < 2; chunk++) {
        int v = VShape.stage(p, d, chunk);
        for (int k = 0; k < 3; k++) {
          for (int mb = 0; mb < m; mb++) {
            timed.add(new long[] {solver.value(s[k][mb][v]), k, mb, v});
          }
        }
      }
      timed.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
      List<Op> list = new ArrayList<>(timed.size());
      for (long[] t : timed) {
        OpKind kind = t[1] == 0 ? OpKind.F : t[1] == 1 ? OpKind.B : OpKind.W;
        list.add(new Op(kind, (int) t[2], (int) t[3]));
      }
      ops.add(list);
    }
    return new Result(ops, best / ticks.perUnit, bound, optimal, true, seconds, det, ticks.exact);
  }

  /** {@code later >= earlier + gap}. */
  private static void after(CpModel model, IntVar earlier, long gap, IntVar later) {
    model.addLessOrEqual(LinearExpr.affine(earlier, 1, gap), later);
  }

  /**
   * Integer time: every cost times {@code perUnit}, rounded. {@code perUnit} is the smallest of
   * 1..1000 that makes every cost a whole number of ticks (within 1e-6), else 1000.
   */
  private record Ticks(double perUnit, long[][] dur, long comm, boolean exact) {
    static Ticks of(StageCosts costs) {
      int stages = costs.stages();
      double[] all = new double[3 * stages + 1];
      for (int v = 0; v < stages; v++) {
        all[3 * v] = costs.f(v);
        all[3 * v + 1] = costs.b(v);
        all[3 * v + 2] = costs.w(v);
      }
      all[3 * stages] = costs.comm();
      int per = 1000;
      boolean exact = false;
      for (int k = 1; k < 1000 && !exact; k++) {
        final int kk = k;
        if (Arrays.stream(all).allMatch(c -> Math.abs(c * kk - Math.rint(c * kk)) < 1e-9)) {
          per = k;
          exact = true;
        }
      }
      long[][] dur = new long[3][stages];
      for (int v = 0; v < stages; v++) {
        dur[0][v] = Math.round(costs.f(v) * per);
        dur[1][v] = Math.round(costs.b(v) * per);
        dur[2][v] = Math.round(costs.w(v) * per);
        if (dur[0][v] <= 0 || dur[1][v] <= 0 || dur[2][v] <= 0) {
          return null; // zero-length ops break the start-order memory count
        }
      }
      return new Ticks(per, dur, Math.round(costs.comm() * per), exact);
    }

    long duration(int kind, int v) {
      return dur[kind][v];
    }

    /** Comm between consecutive stages: none when both are on one device (stages p-1 and p). */
    long comm(int p, int from, int to) {
      return VShape.device(p, from) == VShape.device(p, to) ? 0 : comm;
    }

    /**
     * {@link VShape#makespanLowerBound} in ticks: device {@code d} starts after the first
     * forward crossed stages {@code 0..d-1} and then has all its own work to do.
     */
    long lowerBound(int p, int m) {
      long bound = 0;
      long arrival = 0;
      for (int d = 0; d < p; d++) {
        int other = 2 * p - 1 - d;
        long busy = 0;
        for (int k = 0; k < 3; k++) {
          busy += (long) m * (dur[k][d] + dur[k][other]);
        }
        bound = Math.max(bound, arrival + busy);
        arrival += dur[0][d] + comm(p, d, d + 1);
      }
      return bound;
    }

    StageCosts asCosts() {
      int stages = dur[0].length;
      double[] f = new double[stages];
      double[] b = new double[stages];
      double[] w = new double[stages];
      for (int v = 0; v < stages; v++) {
        f[v] = dur[0][v];
        b[v] = dur[1][v];
        w[v] = dur[2][v];
      }
      return new StageCosts(f, b, w, comm);
    }
  }
}
