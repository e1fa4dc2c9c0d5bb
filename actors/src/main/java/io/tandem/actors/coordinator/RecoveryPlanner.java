package io.tandem.actors.coordinator;

import io.tandem.actors.JobFactory;
import io.tandem.actors.JobSpecs;
import io.tandem.actors.Recompute;
import io.tandem.actors.worker.Partition;
import io.tandem.model.GptSpec;
import io.tandem.model.ModelSpec;
import io.tandem.model.ModelShapes;
import io.tandem.planner.Alternative;
import io.tandem.planner.BackendCosts;
import io.tandem.planner.ClusterSpec;
import io.tandem.planner.DeviceSpec;
import io.tandem.planner.Family;
import io.tandem.planner.GptShape;
import io.tandem.planner.NoFeasiblePlanException;
import io.tandem.planner.Plan;
import io.tandem.planner.PlanRequest;
import io.tandem.planner.Planner;
import io.tandem.proto.JobSpec;
import io.tandem.schedule.Schedule;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Chooses the plan a job continues with after its device set changed (a node lost, or one
 * joined): the seam between the runtime and the planner ({@link Planner#replan}).
 *
 * <p>For GPT models on real backends (costed with the backend's analytic rates, {@link BackendCosts})
 * the planner searches the job's schedule family group (the
 * V-shape family for V-shape schedules: v-zb, zb-v, v-half, v-min; otherwise the job's schedule
 * and the other flush schedules), with the job's microbatch size and count fixed (so the math,
 * and the final weights, do not change), data-parallel replicas only as many as the job's
 * reduction groups or none (one pipeline summing per group: the same weights), recomputation where the job
 * allows it ({@code recompute} all or planner; it changes memory, never results), under the
 * job's per-device memory budget ({@code deviceMemoryBytes}; none = unlimited). It prefers the
 * job's own schedule when that fits, and says why it switched when it does not. Without a usable
 * profile (sim backend, non-GPT model) it keeps the schedule with the layers split evenly, or
 * falls back to 1F1B. One instance per job (the planner caches its op orders).
 */
public final class RecoveryPlanner {
  private static final List<String> V_FAMILY = List.of("v-zb", "zb-v", "v-half", "v-min");
  private static final List<String> FLUSH_FAMILY = List.of("1f1b", "zb-h1", "zb-h2", "gpipe", "interleaved-1f1b");

  private final JobSpec spec;
  private final Planner planner = new Planner();
  private final Plan initial;
  private final String noPlanner;
  /** Plans for one device fewer, computed at the start so a failure does not wait for the planner. */
  private final java.util.Map<Integer, Plan> ownAhead = new java.util.HashMap<>();
  private final java.util.Map<Integer, Plan> familyAhead = new java.util.HashMap<>();

  /**
   * A plan to continue with.
   *
   * @param spec the job spec to run from now on (devices, schedule and layer split changed; id unchanged)
   * @param schedule its validated schedule
   * @param reason why this plan, one line
   */
  public record Replan(JobSpec spec, Schedule schedule, String reason) {}

  /** A recovery planner for {@code spec}, which starts on {@code spec.getDevices()} devices. */
  public RecoveryPlanner(JobSpec spec) {
    this.spec = spec;
    Plan start = null;
    String why = null;
    Optional<PlanRequest> request = replanRequest(spec, spec.getDevices());
    if (request.isEmpty()) {
      why = "no planner profile for " + spec.getModel() + " on the " + spec.getBackend() + " backend";
    } else {
      try {
        start = planner.plan(request.get());
      } catch (RuntimeException e) {
        why = "the planner found no plan for the starting devices (" + e.getMessage() + ")";
      }
    }
    this.initial = start;
    this.noPlanner = why;
    if (start != null) {
      try {
        ownAhead.putAll(planner.precompute(withSchedules(start, List.of(family(spec.getSchedule()).get(0))), 1));
      } catch (RuntimeException e) {
        // the own schedule cannot run on fewer devices: the family plan below covers it
      }
      familyAhead.putAll(planner.precompute(start, 1));
    }
  }

  /**
   * The planner's starting plan for {@code spec} ("let the planner choose"): every schedule family
   * but 2bw (which changes the math), with the job's microbatch size and count fixed, no data
   * parallelism and recomputation only where the job allows it (so the final weights are those of
   * any other schedule), under
   * the job's per-device memory budget. Returns the spec to run (schedule, devices, layer split) and
   * why; empty without a planner profile (sim backend, non-GPT model).
   *
   * @throws NoFeasiblePlanException when no schedule fits the budget
   */
  public static Optional<Replan> startPlan(JobSpec spec) {
    Optional<PlanRequest> request = request(spec, spec.getDevices());
    if (request.isEmpty()) {
      return Optional.empty();
    }
    List<String> choices = Family.ALL.stream().map(Family::name).filter(n -> !n.equals("2bw")).toList();
    boolean replicas = dataParallelAllowed(spec);
    Plan plan = new Planner().plan(request.get().withSchedules(choices).withDataParallel(replicas));
    return Optional.of(planned(spec, plan, "the planner chose " + plan.schedule() + " over " + shape(plan)
        + budget(spec) + " (" + plan.evaluated() + " plans evaluated)", replicas));
  }

  /**
   * The planner's layer split and recomputation choice for {@code spec}'s own schedule on its
   * devices ({@code recompute planner} with a named schedule); empty without a planner profile or
   * when the planner does not know the schedule.
   *
   * @throws NoFeasiblePlanException when the schedule does not fit the budget even recomputing
   */
  public static Optional<Replan> recomputePlan(JobSpec spec) {
    String schedule = spec.getSchedule().toLowerCase(Locale.ROOT);
    Optional<PlanRequest> request = request(spec, spec.getDevices());
    if (request.isEmpty() || Family.ALL.stream().noneMatch(f -> f.name().equals(schedule))) {
      return Optional.empty();
    }
    Plan plan = new Planner().plan(request.get().withSchedules(List.of(schedule)));
    return Optional.of(planned(spec, plan, "the planner chose recomputation on " + plan.recompute().stream()
        .filter(b -> b).count() + " of " + plan.recompute().size() + " stages of " + schedule + budget(spec), false));
  }

  /** The planner request for {@code spec} on {@code devices} devices, when the model has a profile. */
  static Optional<PlanRequest> request(JobSpec spec, int devices) {
    if (spec.getBackend().toLowerCase(Locale.ROOT).equals("sim")) {
      return Optional.empty();
    }
    ModelSpec model = ModelShapes.parse(spec.getModel());
    if (!(model instanceof GptSpec g)) {
      return Optional.empty();
    }
    GptShape shape = new GptShape(g.blocks(), g.width(), g.heads(), g.seqLen(), g.vocab());
    int mbs = Math.max(1, spec.getMicrobatchSize());
    long budget = spec.getDeviceMemoryBytes() > 0 ? (long) spec.getDeviceMemoryBytes() : Long.MAX_VALUE / 4;
    BackendCosts costs = BackendCosts.of(spec.getBackend());
    return Optional.of(PlanRequest.of(costs.profiler().profile(shape, mbs),
            costs.cluster(devices, budget), spec.getMicrobatches() * mbs)
        .withSchedules(family(spec.getSchedule())).withMicrobatchSizes(List.of(mbs))
        .withRecompute(Recompute.allowed(spec)).withDataParallel(false));
  }

  /**
   * The re-plan request: as {@link #request}, and a job whose gradients are reduced in G > 1
   * groups may run G replicas or one pipeline (either gives the same weights).
   */
  private static Optional<PlanRequest> replanRequest(JobSpec spec, int devices) {
    int groups = JobSpecs.reductionGroups(spec);
    return request(spec, devices).map(r -> groups > 1 ? r.withDataParallelWidths(List.of(1, groups)) : r);
  }

  /** The job's schedule first, then the rest of its family group. */
  static List<String> family(String schedule) {
    String s = schedule.toLowerCase(Locale.ROOT);
    List<String> group = V_FAMILY.contains(s) ? V_FAMILY : FLUSH_FAMILY;
    List<String> out = new ArrayList<>();
    if (Family.ALL.stream().anyMatch(f -> f.name().equals(s))) {
      out.add(s);
    }
    group.stream().filter(n -> !n.equals(s)).forEach(out::add);
    return out;
  }

  /** No schedule of the job's family fits the devices left under the job's memory budget. */
  public static final class NothingFits extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public NothingFits(String message) {
      super(message);
    }
  }

  /**
   * A plan for the job on {@code devices} devices ({@code why}: what happened, for the reason).
   *
   * @throws NothingFits when no schedule fits that many devices under the job's memory budget
   */
  public Replan replan(int devices, String why) {
    if (devices < 1) {
      throw new IllegalArgumentException("no devices left for job " + spec.getJobId() + " (" + why + ")");
    }
    if (initial == null) {
      return evenSplit(devices, why + " (" + noPlanner + ")");
    }
    List<DeviceSpec> survivors = ClusterSpec.uniform(devices, initial.request().cluster().devices().get(0).memoryBytes())
        .devices();
    Plan plan;
    try {
      // the job's own schedule when it still fits, else the fastest of its family that does
      // (precomputed at the start for one device fewer)
      plan = ownAhead.containsKey(devices) ? ownAhead.get(devices)
          : planner.replan(withSchedules(initial, List.of(family(spec.getSchedule()).get(0))), survivors);
    } catch (NoFeasiblePlanException | IllegalArgumentException own) {
      try {
        plan = familyAhead.containsKey(devices) ? familyAhead.get(devices) : planner.replan(initial, survivors);
      } catch (NoFeasiblePlanException e) {
        throw new NothingFits("nothing fits " + devices + " device(s)" + budget() + ": " + e.getMessage());
      }
      return toReplan(plan, why + "; " + spec.getSchedule() + " does not fit " + devices + " device(s)" + budget()
          + " (" + ownReason(plan, own) + "), so the planner chose " + plan.schedule());
    }
    return toReplan(plan, why + "; planner kept " + plan.schedule() + " over " + shape(plan) + budget());
  }

  /** "3 device(s)", or "2 data-parallel replicas x 1 device(s)". */
  private static String shape(Plan plan) {
    return (plan.dataParallel() > 1 ? plan.dataParallel() + " data-parallel replicas x " : "") + plan.pipelineDepth()
        + " device(s)";
  }

  private static Plan withSchedules(Plan p, List<String> schedules) {
    PlanRequest r = p.request().withSchedules(schedules);
    return new Plan(p.schedule(), p.devices(), p.pipelineDepth(), p.dataParallel(), p.chunksPerDevice(), p.placement(),
        p.stages(), p.microbatches(), p.microbatchSize(), p.recompute(), p.memoryLimit(), p.stepTimeMs(), p.bubble(),
        p.deviceIds(), p.peakBytesPerDevice(), p.activationBytesPerDevice(), p.deviceMemoryBytes(), p.alternatives(),
        p.evaluated(), r);
  }

  private String ownReason(Plan chosen, RuntimeException own) {
    for (Alternative a : chosen.alternatives()) {
      if (a.schedule().equalsIgnoreCase(spec.getSchedule()) && !a.feasible() && !a.reason().isBlank()) {
        return a.reason();
      }
    }
    return own.getMessage();
  }

  private String budget() {
    return budget(spec);
  }

  private static String budget(JobSpec spec) {
    return spec.getDeviceMemoryBytes() > 0
        ? String.format(Locale.ROOT, " under the %.2f MiB per-device budget", spec.getDeviceMemoryBytes() / (1 << 20)) : "";
  }

  /**
   * Whether the planner may give the job data-parallel replicas at its start: not when resuming
   * (the checkpoint's run chose its own replicas; the user names D then).
   */
  static boolean dataParallelAllowed(JobSpec spec) {
    return spec.getResumeStep() == 0;
  }

  private Replan toReplan(Plan plan, String reason) {
    return planned(spec, plan, reason, JobSpecs.reductionGroups(spec) > 1);
  }

  /**
   * The spec that runs {@code plan}: its schedule, split, recomputation and (with
   * {@code replicas}) data-parallel replicas; the step's microbatches stay the job's.
   */
  private static Replan planned(JobSpec spec, Plan plan, String reason, boolean replicas) {
    int d = plan.dataParallel();
    if (plan.microbatches() * d != spec.getMicrobatches() || plan.microbatchSize() != Math.max(1, spec.getMicrobatchSize())
        || d != 1 && !replicas || plan.recompute().contains(true) && !Recompute.allowed(spec)) {
      throw new IllegalStateException("the planner changed the batch split, data parallelism or recomputation: " + plan);
    }
    // re-plans keep the reduction groups: one pipeline over the survivors, or G replicas
    JobSpec.Builder b = spec.toBuilder().setDevices(d * plan.pipelineDepth()).setDataParallel(d)
        .setReductionGroups(keptGroups(spec))
        .setSchedule(plan.schedule())
        .setMemoryLimit(plan.memoryLimit()).clearStageBoundaries().addAllStageBoundaries(plan.boundaries())
        .clearRecomputeStages();
    if (Recompute.mode(spec).equals(Recompute.PLANNER)) {
      b.addAllRecomputeStages(plan.recompute());
    }
    JobSpec next = b.build();
    Schedule s = JobFactory.schedule(next);
    long peak = plan.peakBytesPerDevice().stream().mapToLong(Long::longValue).max().orElse(0);
    return new Replan(next, s, String.format(Locale.ROOT, "%s; layers %s, recompute %s, expected peak %.2f MiB per"
        + " device, simulated step %.1f ms with the analytic %s costs", reason, plan.boundaries(), Recompute.describe(next, s.stages()),
        peak / (double) (1 << 20), plan.stepTimeMs(), BackendCosts.of(spec.getBackend()).name()));
  }

  /** The reduction groups a re-planned spec states: the job's G when it has more than one, else none. */
  private static int keptGroups(JobSpec spec) {
    int groups = JobSpecs.reductionGroups(spec);
    return groups > 1 ? groups : 0;
  }

  /** Without a profile: the same schedule over the devices with the layers split evenly, else 1F1B. */
  private Replan evenSplit(int devices, String why) {
    JobSpec same = spec.toBuilder().setDevices(devices).setDataParallel(1)
        .setReductionGroups(keptGroups(spec))
        .clearStageBoundaries().clearRecomputeStages().build();
    String tried;
    try {
      Schedule s = fits(same);
      return new Replan(same, s, why + "; kept schedule " + s.name() + " over the " + devices
          + " available device(s), layers split evenly");
    } catch (IllegalArgumentException e) {
      tried = e.getMessage();
    }
    JobSpec fallback = same.toBuilder().setSchedule("1f1b").build();
    Schedule s = fits(fallback);
    return new Replan(fallback, s, why + "; " + spec.getSchedule() + " cannot run on " + devices
        + " device(s) (" + tried + "), so 1f1b, layers split evenly");
  }

  private static Schedule fits(JobSpec spec) {
    Schedule s = JobFactory.schedule(spec);
    if (!spec.getBackend().toLowerCase(Locale.ROOT).equals("sim")) {
      Partition.even(ModelShapes.parse(spec.getModel()).numLayers(), s.stages());
    }
    return s;
  }
}
