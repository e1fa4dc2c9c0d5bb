package io.tandem.planner;

import io.tandem.schedule.CompiledSchedule;
import io.tandem.schedule.Placement;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Scores one configuration: splits the layers with {@link Partitioner} under each device's
 * memory, then simulates the family's op order with the split's per-stage costs and counts the
 * exact bytes each device holds along its op list.
 *
 * <p>Memory of a device: weights, gradients and optimizer state of its layers (twice the weights
 * for 2BW), plus the largest activation it holds between two of its ops: F stashes what B and W
 * need, B frees what only B needed and keeps the output gradient, W frees the rest. A
 * recomputing chunk keeps only its input from F; its B first rebuilds the chunk's stash
 * (counted at that moment) and then keeps what W needs. The partitioner's per-stage memory test
 * is an estimate (the device's peak in microbatches times the chunk's bytes); the exact count
 * decides, and a split that fails it is tried again with tighter caps.
 */
final class Evaluator {
  private static final double[] CAP_SCALES = {1.0, 0.9, 0.8};

  private final ProfileSums sums;
  private final ClusterSpec cluster;
  private final Positions positions;
  private final ScheduleOrders orders;
  /** Splits already computed in this search, by everything they depend on (see {@link #splitKey}). */
  private final Map<String, Optional<Partitioner.Split>> splits;

  /**
   * Pipeline positions of one depth: position {@code k} is the group of {@code width} devices that
   * hold the same layers in the replicas; its speed and memory are the group's least.
   */
  record Positions(int depth, int width, List<DeviceSpec> devices, double[] speed, long[] memory) {
    static Positions of(List<DeviceSpec> sorted, int depth, int width) {
      double[] speed = new double[depth];
      long[] memory = new long[depth];
      for (int k = 0; k < depth; k++) {
        speed[k] = Double.POSITIVE_INFINITY;
        memory[k] = Long.MAX_VALUE;
        for (int r = 0; r < width; r++) {
          DeviceSpec d = sorted.get(k * width + r);
          speed[k] = Math.min(speed[k], d.speed());
          memory[k] = Math.min(memory[k], d.memoryBytes());
        }
      }
      return new Positions(depth, width, List.copyOf(sorted.subList(0, depth * width)), speed, memory);
    }

    /** The device of replica {@code r} at position {@code k}. */
    DeviceSpec device(int replica, int position) {
      return devices.get(position * width + replica);
    }
  }

  Evaluator(ProfileSums sums, ClusterSpec cluster, Positions positions, ScheduleOrders orders,
      Map<String, Optional<Partitioner.Split>> splits) {
    this.sums = sums;
    this.cluster = cluster;
    this.positions = positions;
    this.orders = orders;
    this.splits = splits;
  }

  /** Tries no recomputation, then recomputation where memory is short, then everywhere. */
  Evaluation evaluate(Family family, int m, boolean allowRecompute) {
    int d = positions.depth();
    boolean[] none = new boolean[d];
    Evaluation plain = evaluate(family, m, none);
    if (plain.feasible() || !allowRecompute || plain.boundaries() == null) {
      return plain; // fits, may not recompute, or refused before any split
    }
    if (plain.peakBytes() != null) {
      boolean[] selective = new boolean[d];
      int count = 0;
      for (int k = 0; k < d; k++) {
        selective[k] = plain.peakBytes()[k] > plain.memoryBytes()[k];
        count += selective[k] ? 1 : 0;
      }
      if (count > 0 && count < d) {
        Evaluation sel = evaluate(family, m, selective);
        if (sel.feasible()) {
          return sel;
        }
      }
    }
    boolean[] all = new boolean[d];
    Arrays.fill(all, true);
    Evaluation full = evaluate(family, m, all);
    return full.feasible() || full.shortBytes() > 0 && full.shortBytes() < plain.shortBytes() || plain.shortBytes() == 0
        ? full : plain;
  }

  /** Scores the family with recomputation on the positions flagged. */
  Evaluation evaluate(Family family, int m, boolean[] recomputeAt) {
    int d = positions.depth();
    int w = positions.width();
    int b = sums.profile().microbatchSize();
    Optional<String> unsupported = family.unsupported(d, m, sums.layers());
    if (unsupported.isPresent()) {
      return Evaluation.refused(family, d, w, b, m, unsupported.get());
    }
    boolean auto = family.name().equals("auto");
    ScheduleOrders.Order order;
    try {
      order = auto ? null : orders.get(family, d, scoredMicrobatches(family, d, m), 0);
    } catch (IllegalArgumentException e) {
      return Evaluation.refused(family, d, w, b, m, e.getMessage());
    }
    Placement placement = auto ? family.placement(d) : order.schedule().placement();
    int stages = placement.stages();
    boolean[] rec = new boolean[stages];
    for (int v = 0; v < stages; v++) {
      rec[v] = recomputeAt[placement.device(v)];
    }
    double[] units = new double[d];
    for (int k = 0; k < d; k++) {
      units[k] = auto ? 1.0 : order.peakUnits()[k];
    }
    Evaluation last = null;
    for (double scale : CAP_SCALES) {
      double capScale = scale;
      Optional<Partitioner.Split> split = splits.computeIfAbsent(splitKey(family, placement, rec, units, scale),
          k -> Partitioner.balance(sums.layers(), stages, stageCost(family, placement, rec, units, capScale)));
      if (split.isEmpty()) {
        return last != null ? last : memoryShort(family, m, placement, rec, order, units, auto);
      }
      int[] bounds = split.get().boundaries();
      double limit = 0;
      ScheduleOrders.Order run = order;
      if (auto) {
        limit = autoLimit(placement, bounds, rec);
        if (limit < 1) {
          return last != null ? last : memoryShort(family, m, placement, rec, null, units, true);
        }
        try {
          run = orders.get(family, d, scoredMicrobatches(family, d, m), limit);
        } catch (IllegalArgumentException e) {
          return Evaluation.refused(family, d, w, b, m, e.getMessage());
        }
      }
      last = score(family, m, limit, run, bounds, rec);
      if (last.feasible()) {
        return last;
      }
    }
    return last;
  }

  /** What a split depends on besides the profile and positions (fixed per evaluator). */
  private String splitKey(Family family, Placement placement, boolean[] rec, double[] units, double scale) {
    return sums.profile().microbatchSize() + "|" + positions.depth() + "x" + positions.width() + "|"
        + placement.deviceOfStage() + "|" + family.weightCopies() + "|" + Arrays.toString(rec) + "|"
        + Arrays.toString(units) + "|" + scale;
  }

  private Partitioner.StageCost stageCost(Family family, Placement placement, boolean[] rec, double[] units,
      double scale) {
    int c = placement.chunksPerDevice();
    int stages = placement.stages();
    int extraCopies = family.weightCopies() - 1;
    double[] speed = new double[stages];
    double[] cap = new double[stages];
    double[] unit = new double[stages];
    for (int v = 0; v < stages; v++) {
      int k = placement.device(v);
      speed[v] = positions.speed()[k];
      cap[v] = (double) positions.memory()[k] * scale / c;
      unit[v] = units[k];
    }
    return new Partitioner.StageCost() {
      @Override
      public double time(int stage, int from, int to) {
        double t = sums.total(from, to) + (rec[stage] ? sums.f(from, to) : 0);
        return t / speed[stage];
      }

      @Override
      public boolean fits(int stage, int from, int to) {
        double bytes = sums.staticBytes(from, to) + (double) extraCopies * sums.parameterBytes(from, to);
        if (rec[stage]) {
          bytes += unit[stage] * c * sums.inputBytes(from)
              + sums.afterForward(from, to) + sums.wFromBackward(from, to);
        } else {
          bytes += unit[stage] * sums.afterForward(from, to);
        }
        return bytes <= cap[stage];
      }
    };
  }

  /** auto's limit in DESIGN.md units: the activation the tightest device has room for, capped at p. */
  private double autoLimit(Placement placement, int[] bounds, boolean[] rec) {
    int d = positions.depth();
    double limit = d;
    for (int k = 0; k < d; k++) {
      long fixed = 0;
      long perUnit = 0;
      for (int v : placement.stagesOf(k)) {
        fixed += sums.staticBytes(bounds[v], bounds[v + 1]);
        if (rec[v]) {
          fixed += sums.afterForward(bounds[v], bounds[v + 1]) + sums.wFromBackward(bounds[v], bounds[v + 1]);
          perUnit += sums.inputBytes(bounds[v]);
        } else {
          perUnit += sums.afterForward(bounds[v], bounds[v + 1]);
        }
      }
      long room = positions.memory()[k] - fixed;
      if (room <= 0) {
        return 0;
      }
      if (perUnit > 0) {
        limit = Math.min(limit, (double) room / perUnit);
      }
    }
    // a few levels only (multiples of about p/6), so auto's costly orders are shared
    double grid = Math.max(0.5, Math.round(d / 6.0 * 2) / 2.0);
    double level = Math.floor(limit / grid + 1e-9) * grid;
    return level >= 1 ? level : Math.floor(limit * 2) / 2;
  }

  /**
   * No split passes the memory test: score the split that needs the least memory relative to
   * each device (the estimate's bytes over the device's share, largest ratio least), to say by
   * how much the configuration is short at best.
   */
  private Evaluation memoryShort(Family family, int m, Placement placement, boolean[] rec,
      ScheduleOrders.Order order, double[] units, boolean auto) {
    int d = positions.depth();
    int c = placement.chunksPerDevice();
    int extraCopies = family.weightCopies() - 1;
    Partitioner.Split split = Partitioner.balance(sums.layers(), placement.stages(), new Partitioner.StageCost() {
      @Override
      public double time(int stage, int from, int to) {
        int k = placement.device(stage);
        // monotone in the range (the recomputing chunk's input term is left out)
        double bytes = sums.staticBytes(from, to) + (double) extraCopies * sums.parameterBytes(from, to)
            + (rec[stage] ? sums.afterForward(from, to) + sums.wFromBackward(from, to)
                : units[k] * sums.afterForward(from, to));
        return bytes * c / positions.memory()[k];
      }

      @Override
      public boolean fits(int stage, int from, int to) {
        return true;
      }
    }).orElseThrow();
    ScheduleOrders.Order o = order;
    double limit = 0;
    if (auto) {
      limit = 1;
      try {
        o = orders.get(family, d, scoredMicrobatches(family, d, m), 1);
      } catch (IllegalArgumentException e) {
        return Evaluation.refused(family, d, positions.width(), sums.profile().microbatchSize(), m, e.getMessage());
      }
    }
    // the exact count decides: it may even fit where the per-stage estimate refused every split
    return score(family, m, limit, o, split.boundaries(), rec);
  }

  /**
   * Microbatches to generate and simulate for {@code m}: all of them, except for the families
   * whose generators search (V-shape, ZB-H2) when {@code m} is large: those are timed on
   * {@code max(2p, 32)} microbatches and on half as many, and extended linearly from the two.
   * Generating their full orders takes up to seconds (superlinear in {@code m}), too slow for
   * the search and for re-planning; a test checks the extension against full simulations.
   */
  static int scoredMicrobatches(Family family, int p, int m) {
    boolean searching = family.vShape() || family.name().equals("zb-h2");
    int cap = Math.max(2 * p, 32);
    return searching && m > cap ? cap : m;
  }

  /** Simulated step time and exact memory of one split. */
  private Evaluation score(Family family, int m, double limit, ScheduleOrders.Order order, int[] bounds,
      boolean[] rec) {
    int d = positions.depth();
    int w = positions.width();
    CompiledSchedule compiled = order.compiled();
    Placement placement = order.schedule().placement();
    int stages = placement.stages();
    // memory, position by position
    long[] peak = new long[d];
    long[] act = new long[d];
    long[] mem = positions.memory().clone();
    int extraCopies = family.weightCopies() - 1;
    int shortPos = -1;
    long shortBytes = 0;
    for (int k = 0; k < d; k++) {
      long fixed = 0;
      for (int v : placement.stagesOf(k)) {
        fixed += sums.staticBytes(bounds[v], bounds[v + 1]) + extraCopies * sums.parameterBytes(bounds[v], bounds[v + 1]);
      }
      act[k] = MemoryEstimate.activationPeak(sums, compiled.kinds(k), compiled.stages(k), bounds, rec);
      peak[k] = fixed + act[k];
      if (peak[k] - mem[k] > shortBytes) {
        shortBytes = peak[k] - mem[k];
        shortPos = k;
      }
    }
    // time
    double[] f = new double[stages];
    double[] bw = new double[stages];
    double[] ww = new double[stages];
    long boundary = 0;
    for (int v = 0; v < stages; v++) {
      double speed = positions.speed()[placement.device(v)];
      int from = bounds[v];
      int to = bounds[v + 1];
      f[v] = sums.f(from, to) / speed;
      bw[v] = (sums.b(from, to) + (rec[v] ? sums.f(from, to) : 0)) / speed;
      ww[v] = sums.w(from, to) / speed;
      if (v + 1 < stages) {
        boundary = Math.max(boundary, sums.outputBytes(to - 1));
      }
    }
    double comm = d > 1 ? cluster.transferMs(boundary) : 0;
    double[] busy = new double[d];
    double[] finish = compiled.finishTimes(f, bw, ww, comm, busy);
    int scored = order.schedule().microbatches();
    if (scored < m) {
      // steady state: time the order on half as many microbatches too; each further microbatch
      // adds what one did between the two (per device, at least its own work for one)
      ScheduleOrders.Order half = orders.get(family, d, scored / 2, limit);
      double[] finishHalf = half.compiled().finishTimes(f, bw, ww, comm, null);
      double[] perMb = new double[d];
      for (int v = 0; v < stages; v++) {
        perMb[placement.device(v)] += f[v] + bw[v] + ww[v];
      }
      int more = m - scored;
      int between = scored - scored / 2;
      for (int k = 0; k < d; k++) {
        double slope = Math.max(perMb[k], (finish[k] - finishHalf[k]) / between);
        finish[k] += more * slope;
        busy[k] += more * perMb[k];
      }
    }
    double makespan = 0;
    double totalBusy = 0;
    for (int k = 0; k < d; k++) {
      makespan = Math.max(makespan, finish[k]);
      totalBusy += busy[k];
    }
    double bubble = makespan > 0 ? 1 - totalBusy / (d * makespan) : 0;
    double step = 0;
    for (int k = 0; k < d; k++) {
      long grads = 0;
      for (int v : placement.stagesOf(k)) {
        grads += sums.gradientBytes(bounds[v], bounds[v + 1]);
      }
      step = Math.max(step, finish[k] + allReduceMs(grads, w));
    }
    boolean feasible = shortPos < 0;
    String reason = "";
    if (!feasible) {
      reason = String.format(java.util.Locale.ROOT, "device %s needs %s, has %s (short by %s)",
          positions.device(0, shortPos).id(), Bytes.format(peak[shortPos]), Bytes.format(mem[shortPos]),
          Bytes.format(shortBytes));
    }
    return new Evaluation(family, d, w, sums.profile().microbatchSize(), m, limit, feasible, step, bubble,
        placement, bounds.clone(), rec.clone(), peak, act, mem, shortPos, shortBytes, reason);
  }

  /** One all-reduce of {@code bytes} over {@code width} replicas ({@link ClusterSpec#allReduceMs}). */
  private double allReduceMs(long bytes, int width) {
    return cluster.allReduceMs(bytes, width);
  }
}
