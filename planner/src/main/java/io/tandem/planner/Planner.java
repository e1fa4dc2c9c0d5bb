package io.tandem.planner;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Chooses how to train a model on a set of devices: schedule family, pipeline depth x
 * data-parallel width, microbatch size and count, recomputation per stage, and the layer
 * split, so that the simulated step time is least and every device's memory holds.
 *
 * <p>Search (best first, bounded by {@link PlanRequest#maxEvaluations()}): every (depth, width)
 * with {@code depth x width <= devices} (the largest width for each depth), every microbatch
 * size dividing the per-replica batch, every family. Each configuration gets a cheap estimate
 * (perfectly balanced work over the closed-form bubble of the family); configurations are
 * scored in estimate order, and one whose estimate cannot beat its family's best scored time is
 * skipped. Scoring a configuration = {@link Partitioner} split under memory, then the family's op
 * order simulated with per-stage costs and exact per-device memory, trying no recomputation,
 * then recomputation on the devices that are short, then everywhere.
 *
 * <p>Devices are sorted by memory, then speed (largest first); pipeline position {@code k} gets
 * the {@code width} devices at {@code k*width ..}, so replicas of a stage are alike and the
 * first stages, which hold the most activations, get the most memory.
 *
 * <p>The op orders generated are cached in the instance, so keep one Planner per job: a
 * {@link #replan} after {@link #plan} reuses them. Thread-safe.
 */
public final class Planner {
  /** Configurations of {@code auto} scored per search: each of its orders takes up to seconds. */
  static final int AUTO_CAP = 3;

  private final ScheduleOrders orders = new ScheduleOrders();

  /**
   * The fastest plan that fits.
   *
   * @throws NoFeasiblePlanException when no configuration fits the devices' memory
   * @throws IllegalArgumentException when the request cannot be planned at all (e.g. the global
   *     batch is not divisible by any width)
   */
  public Plan plan(PlanRequest request) {
    return plan(request, true);
  }

  /**
   * With {@code thorough}, each family keeps its own incumbent (so every family's best is found
   * for the alternatives); without, one incumbent prunes all families (re-planning).
   */
  private Plan plan(PlanRequest request, boolean thorough) {
    Search s = new Search(request, thorough);
    s.run();
    Evaluation best = s.best();
    if (best == null) {
      throw noPlan(request, s);
    }
    return toPlan(request, best, s);
  }

  /**
   * A new plan for the devices that survive a failure (or for a changed device set): the same
   * profile, global batch and search space as {@code previous}, on {@code survivingDevices}
   * with the previous link. Meant for the runtime's failure path; well under a second for 64
   * devices and a 96-layer model.
   *
   * @param previous a plan made by {@link #plan} (it carries its request)
   * @param survivingDevices the devices to plan for, e.g. the previous plan's devices minus the
   *     failed ones
   * @throws NoFeasiblePlanException when the model no longer fits
   */
  public Plan replan(Plan previous, List<DeviceSpec> survivingDevices) {
    if (previous.request() == null) {
      throw new IllegalArgumentException("replan needs a plan made by Planner.plan (it carries the request)");
    }
    PlanRequest request = previous.request().withCluster(previous.request().cluster().withDevices(survivingDevices));
    return plan(request, false);
  }

  /**
   * Plans for the cluster minus its last {@code 1 .. maxFailures} devices, keyed by device count,
   * computed ahead (at job start) so a failure does not wait for the planner. With identical
   * devices a plan for {@code n} devices serves any {@code n} survivors (map the ids); otherwise
   * call {@link #replan}. Counts for which nothing fits are left out.
   */
  public Map<Integer, Plan> precompute(Plan current, int maxFailures) {
    if (maxFailures < 0) {
      throw new IllegalArgumentException("maxFailures must be >= 0, got " + maxFailures);
    }
    List<DeviceSpec> all = current.request().cluster().devices();
    Map<Integer, Plan> out = new LinkedHashMap<>();
    for (int k = 1; k <= maxFailures && k < all.size(); k++) {
      try {
        out.put(all.size() - k, replan(current, all.subList(0, all.size() - k)));
      } catch (NoFeasiblePlanException e) {
        // nothing fits that few devices: the runtime must wait for more
      }
    }
    return out;
  }

  /** One candidate configuration and its estimated step time. */
  private record Candidate(Family family, int familyIndex, int depth, int width, int microbatchSize, int microbatches,
      double estimateMs) {}

  /** Whether some plan fits {@code request}. */
  private boolean feasible(PlanRequest request) {
    Search s = new Search(request, false);
    s.run();
    return s.best() != null;
  }

  /** The search state of one call (not shared between calls). */
  private final class Search {
    final PlanRequest request;
    final boolean thorough;
    final Map<String, Double> bottlenecks = new HashMap<>();
    Evaluation incumbent;
    final List<Family> families;
    final List<DeviceSpec> sorted;
    final Map<String, Evaluation> bestFeasible = new HashMap<>();
    final Map<String, Evaluation> closest = new HashMap<>();
    final Map<String, String> refusal = new HashMap<>();
    final Map<String, Integer> evaluations = new HashMap<>();
    final Map<Integer, ProfileSums> sums = new HashMap<>();
    final Map<Long, Evaluator.Positions> positions = new HashMap<>();
    final Map<String, Optional<Partitioner.Split>> splits = new HashMap<>();
    int evaluated;

    Search(PlanRequest request, boolean thorough) {
      this.request = request;
      this.thorough = thorough;
      this.families = request.families();
      if (families.isEmpty()) {
        throw new IllegalArgumentException("no schedule family to search");
      }
      List<DeviceSpec> devs = new ArrayList<>(request.cluster().devices());
      devs.sort(Comparator.comparingLong(DeviceSpec::memoryBytes).reversed()
          .thenComparing(Comparator.comparingDouble(DeviceSpec::speed).reversed()));
      this.sorted = List.copyOf(devs);
    }

    void run() {
      List<Candidate> candidates = candidates();
      int perFamilyCap = Math.max(4, 2 * request.maxEvaluations() / families.size());
      for (Candidate c : candidates) {
        if (evaluated >= request.maxEvaluations()) {
          break;
        }
        String name = c.family().name();
        Evaluation best = bestFeasible.get(name);
        if (best != null && c.estimateMs() >= best.stepTimeMs()) {
          continue; // cannot beat what this family already has
        }
        if (!thorough && incumbent != null && c.estimateMs() >= incumbent.stepTimeMs()) {
          continue; // cannot beat the best plan so far
        }
        if (evaluations.getOrDefault(name, 0) >= (c.family().name().equals("auto") ? AUTO_CAP : perFamilyCap)) {
          continue;
        }
        Evaluation e = evaluator(c.microbatchSize(), c.depth(), c.width())
            .evaluate(c.family(), c.microbatches(), request.allowRecompute());
        if (e.boundaries() == null) {
          refusal.putIfAbsent(name, e.reason());
          continue; // refused before scoring: costs nothing worth counting
        }
        evaluated++;
        evaluations.merge(name, 1, Integer::sum);
        if (e.feasible()) {
          if (best == null || better(e, best)) {
            bestFeasible.put(name, e);
          }
          if (incumbent == null || better(e, incumbent)) {
            incumbent = e;
          }
        } else {
          Evaluation near = closest.get(name);
          if (near == null || e.shortBytes() < near.shortBytes()) {
            closest.put(name, e);
          }
        }
      }
    }

    /** Every (family, depth, width, microbatch size), with its estimate, best first. */
    List<Candidate> candidates() {
      int n = sorted.size();
      int layers = request.profile().numLayers();
      int batch = request.globalBatch();
      Map<Integer, Integer> widthOfDepth = new LinkedHashMap<>();
      if (request.allowDataParallel()) {
        for (int w = 1; w <= n; w++) {
          if (request.dataParallelWidths().isEmpty() || request.dataParallelWidths().contains(w)) {
            widthOfDepth.put(n / w, w); // the largest width for each depth
          }
        }
      } else {
        widthOfDepth.put(n, 1);
      }
      double totalMs = request.profile().totalMs();
      long grads = 0;
      for (LayerProfile l : request.profile().layers()) {
        grads += l.gradientBytes();
      }
      List<Candidate> out = new ArrayList<>();
      String firstRefusal = null;
      for (Map.Entry<Integer, Integer> dw : widthOfDepth.entrySet()) {
        int d = dw.getKey();
        int w = dw.getValue();
        if (d > layers) {
          firstRefusal = firstRefusal != null ? firstRefusal
              : "pipeline depth " + d + " exceeds the model's " + layers + " layers";
          continue;
        }
        if (batch % w != 0) {
          firstRefusal = firstRefusal != null ? firstRefusal
              : "global batch " + batch + " is not divisible by data-parallel width " + w;
          continue;
        }
        Evaluator.Positions pos = Evaluator.Positions.of(sorted, d, w);
        double speed = 0;
        for (double s : pos.speed()) {
          speed += s;
        }
        int perReplica = batch / w;
        ClusterSpec c = request.cluster();
        double allReduce = w <= 1 ? 0 : c.allReduce() != null ? c.allReduce().ms(grads / d, w)
            : 2.0 * (w - 1) / w * grads / d / c.linkBytesPerSecond() * 1e3; // an estimate: latency left out
        for (int b : microbatchSizes(perReplica)) {
          int m = perReplica / b;
          double scale = (double) b / request.profile().microbatchSize();
          double work = m * totalMs * scale / speed;
          for (int fi = 0; fi < families.size(); fi++) {
            Family f = families.get(fi);
            double perDevice = Math.max(work, m * scale * f.chunks() * bottleneck(f, pos));
            double est = perDevice / (1 - f.bubbleEstimate(d, m)) + allReduce;
            out.add(new Candidate(f, fi, d, w, b, m, est));
          }
        }
      }
      if (out.isEmpty()) {
        throw new IllegalArgumentException("nothing to plan: " + (firstRefusal != null ? firstRefusal
            : "no microbatch size divides the per-replica batch"));
      }
      out.sort(Comparator.comparingDouble(Candidate::estimateMs).thenComparingInt(Candidate::familyIndex)
          .thenComparingInt(Candidate::depth).thenComparingInt(Candidate::microbatchSize));
      return out;
    }

    /** The fastest feasible evaluation over the families (ties: less memory, then family order), or null. */
    Evaluation best() {
      Evaluation best = null;
      for (Family f : families) {
        Evaluation e = bestFeasible.get(f.name());
        if (e != null && (best == null || better(e, best))) {
          best = e;
        }
      }
      return best;
    }

    /** Faster; at equal time (within 1e-9 relative), less peak memory. */
    static boolean better(Evaluation a, Evaluation b) {
      double tol = 1e-9 * Math.max(a.stepTimeMs(), b.stepTimeMs());
      if (Math.abs(a.stepTimeMs() - b.stepTimeMs()) > tol) {
        return a.stepTimeMs() < b.stepTimeMs();
      }
      return a.maxPeak() < b.maxPeak();
    }

    Evaluator evaluator(int b, int d, int w) {
      ProfileSums ps = sums.computeIfAbsent(b, x -> new ProfileSums(request.profile().atMicrobatchSize(x)));
      Evaluator.Positions pos = positions.computeIfAbsent(((long) d << 32) | w,
          k -> Evaluator.Positions.of(sorted, d, w));
      return new Evaluator(ps, request.cluster(), pos, orders, splits);
    }

    /**
     * Least largest stage time of the family's placement at the profile's own microbatch size,
     * memory ignored: with the chunk count, the estimate's per-microbatch device load.
     */
    double bottleneck(Family f, Evaluator.Positions pos) {
      int d = pos.depth();
      String key = d + "x" + pos.width() + (f.vShape() ? "v" : "i") + f.chunks();
      return bottlenecks.computeIfAbsent(key, k -> {
        if (d * f.chunks() > request.profile().numLayers()) {
          return Double.POSITIVE_INFINITY;
        }
        ProfileSums ps = sums.computeIfAbsent(request.profile().microbatchSize(),
            x -> new ProfileSums(request.profile()));
        io.tandem.schedule.Placement placement = f.placement(d);
        return Partitioner.balance(ps.layers(), placement.stages(), new Partitioner.StageCost() {
          @Override
          public double time(int stage, int from, int to) {
            return ps.total(from, to) / pos.speed()[placement.device(stage)];
          }

          @Override
          public boolean fits(int stage, int from, int to) {
            return true;
          }
        }).map(Partitioner.Split::bottleneck).orElse(Double.POSITIVE_INFINITY);
      });
    }

    List<Integer> microbatchSizes(int perReplica) {
      List<Integer> out = new ArrayList<>();
      if (!request.microbatchSizes().isEmpty()) {
        for (int b : request.microbatchSizes()) {
          if (perReplica % b == 0) {
            out.add(b);
          }
        }
        return out;
      }
      for (int b = 1; b <= perReplica; b *= 2) {
        if (perReplica % b == 0) {
          out.add(b);
        }
      }
      return out;
    }
  }

  private Plan toPlan(PlanRequest request, Evaluation best, Search s) {
    int d = best.depth();
    int w = best.width();
    Evaluator.Positions pos = s.positions.get(((long) d << 32) | w);
    List<String> ids = new ArrayList<>();
    List<Long> peaks = new ArrayList<>();
    List<Long> acts = new ArrayList<>();
    List<Long> mems = new ArrayList<>();
    for (int r = 0; r < w; r++) {
      for (int k = 0; k < d; k++) {
        DeviceSpec dev = pos.device(r, k);
        ids.add(dev.id());
        peaks.add(best.peakBytes()[k]);
        acts.add(best.activationBytes()[k]);
        mems.add(dev.memoryBytes());
      }
    }
    List<StageRange> stages = new ArrayList<>();
    List<Boolean> rec = new ArrayList<>();
    int[] b = best.boundaries();
    for (int v = 0; v + 1 < b.length; v++) {
      stages.add(new StageRange(v, b[v], b[v + 1]));
      rec.add(best.recompute()[v]);
    }
    return new Plan(best.family().name(), d * w, d, w, best.placement().chunksPerDevice(),
        best.placement().deviceOfStage(), stages, best.microbatches(), best.microbatchSize(), rec,
        best.memoryLimit(), best.stepTimeMs(), best.bubble(), ids, peaks, acts, mems, alternatives(s, best), s.evaluated,
        request);
  }

  private static List<Long> perDevice(Evaluation e) {
    List<Long> out = new ArrayList<>();
    if (e.peakBytes() != null) {
      for (int r = 0; r < e.width(); r++) {
        for (long p : e.peakBytes()) {
          out.add(p);
        }
      }
    }
    return out;
  }

  private static List<Alternative> alternatives(Search s, Evaluation chosen) {
    List<Alternative> out = new ArrayList<>();
    for (Family f : s.families) {
      Evaluation e = s.bestFeasible.get(f.name());
      if (e != null) {
        String reason = e == chosen ? "chosen" : AlternativeReason.describe(e.stepTimeMs(), e.maxPeak(),
            chosen.stepTimeMs(), chosen.maxPeak(), chosen.family().name());
        out.add(new Alternative(f.name(), true, e.stepTimeMs(), perDevice(e), e.config(), reason));
        continue;
      }
      Evaluation near = s.closest.get(f.name());
      if (near != null) {
        out.add(new Alternative(f.name(), false, near.stepTimeMs(), perDevice(near), near.config(),
            "does not fit: " + near.reason()));
        continue;
      }
      String why = s.refusal.get(f.name());
      out.add(new Alternative(f.name(), false, Double.NaN, List.of(), "",
          why != null ? why : "not scored: estimates could not beat the other families within the search bound"));
    }
    return out;
  }

  private NoFeasiblePlanException noPlan(PlanRequest request, Search s) {
    Evaluation near = null;
    for (Evaluation e : s.closest.values()) {
      if (near == null || e.shortBytes() < near.shortBytes()
          || e.shortBytes() == near.shortBytes() && e.family().name().compareTo(near.family().name()) < 0) {
        near = e;
      }
    }
    List<Alternative> alts = new ArrayList<>();
    for (Family f : s.families) {
      Evaluation e = s.closest.get(f.name());
      if (e != null) {
        alts.add(new Alternative(f.name(), false, e.stepTimeMs(), perDevice(e), e.config(), "does not fit: " + e.reason()));
      } else {
        alts.add(new Alternative(f.name(), false, Double.NaN, List.of(), "",
            s.refusal.getOrDefault(f.name(), "not scored")));
      }
    }
    if (near == null) {
      String why = s.refusal.values().stream().findFirst().orElse("no configuration could be scored");
      return new NoFeasiblePlanException("no plan fits: " + why, null, 0, alts);
    }
    Evaluator.Positions pos = s.positions.get(((long) near.depth() << 32) | near.width());
    String device = pos.device(0, near.shortPosition()).id();
    StringBuilder msg = new StringBuilder();
    msg.append("no plan fits: device ").append(device).append(" is short by ").append(Bytes.format(near.shortBytes()))
        .append(" (needs ").append(Bytes.format(near.peakBytes()[near.shortPosition()])).append(", has ")
        .append(Bytes.format(near.memoryBytes()[near.shortPosition()])).append(") with ").append(near.family().name())
        .append(", ").append(near.config()).append("; would fit: ").append(suggestion(request, near));
    return new NoFeasiblePlanException(msg.toString(), device, near.shortBytes(), alts);
  }

  /** What would fit: recomputation if it was off, more devices, or more memory per device. */
  private String suggestion(PlanRequest request, Evaluation near) {
    List<String> out = new ArrayList<>();
    if (!request.allowRecompute()) {
      PlanRequest withRecompute = request.withRecompute(true);
      if (feasible(withRecompute)) {
        out.add("recomputation");
      }
    }
    int n = request.cluster().size();
    DeviceSpec smallest = request.cluster().devices().stream().min(Comparator.comparingLong(DeviceSpec::memoryBytes))
        .orElseThrow();
    int layers = request.profile().numLayers();
    PlanRequest light = request.withRecompute(true).withSchedules(List.of("v-min", "1f1b"))
        .withMicrobatchSizes(List.of(1)).withMaxEvaluations(8);
    for (int more = n + 1; more <= Math.min(layers, 16 * n); more = Math.max(more + 1, more * 5 / 4)) {
      if (fits(light, smallest, more)) {
        out.add(more + " devices (fewer layers per device)");
        break;
      }
    }
    out.add(Bytes.format(near.maxPeak()) + " per device");
    return String.join(", or ", out);
  }

  private boolean fits(PlanRequest light, DeviceSpec like, int count) {
    List<DeviceSpec> devs = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      devs.add(new DeviceSpec("x" + i, like.memoryBytes(), like.speed()));
    }
    return feasible(light.withCluster(light.cluster().withDevices(devs)));
  }
}
