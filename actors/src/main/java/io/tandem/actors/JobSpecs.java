package io.tandem.actors;

import io.tandem.actors.coordinator.RecoveryPlanner;
import io.tandem.model.ModelShapes;
import io.tandem.proto.JobSpec;
import io.tandem.schedule.Schedule;
import io.tandem.schedule.ScheduleRegistry;
import io.tandem.schedule.SimulationResult;
import io.tandem.schedule.Simulator;
import java.util.List;

/**
 * Job specs as the entry points take them: {@link #check} ({@link JobSpecValidator}'s rules, the
 * first broken one thrown), {@link #prepare} (check, then make the planner's choice when the
 * schedule is {@code planner}), JSON defaults, and the "let the planner choose" schedule choice.
 * {@code tandem train}/{@code submit}, the Java API's builder, the admin endpoint and the
 * coordinator all go through here, so they reject the same specs with the same words.
 */
public final class JobSpecs {
  /** Backends a spec may name. */
  public static final List<String> BACKENDS = JobSpecValidator.BACKENDS;
  /** Datasets a spec may name. */
  public static final List<String> DATASETS = JobSpecValidator.DATASETS;
  /** Optimizers a spec may name. */
  public static final List<String> OPTIMIZERS = JobSpecValidator.OPTIMIZERS;

  private JobSpecs() {}

  /**
   * Throws {@link InvalidJobSpecException} when {@code spec} breaks a rule of
   * {@link JobSpecValidator}: its message is the first problem's ({@code field: reason}), and
   * {@link InvalidJobSpecException#problems()} lists them all.
   */
  public static void check(JobSpec spec) {
    List<JobSpecValidator.Problem> problems = JobSpecValidator.problems(spec);
    if (!problems.isEmpty()) {
      throw new InvalidJobSpecException(problems);
    }
  }

  /**
   * The spec as it will run: checked, and with schedule {@code planner} the planner's choice
   * made ({@link #withPlannerChoice}) and checked again.
   *
   * @throws InvalidJobSpecException naming the first bad field
   */
  public static JobSpec prepare(JobSpec spec) {
    check(spec);
    JobSpec chosen = spec;
    if (spec.getSchedule().equalsIgnoreCase(JobSpecValidator.PLANNER)) {
      chosen = withPlannerChoice(spec);
      check(chosen);
    }
    if (Recompute.mode(chosen).equals(Recompute.PLANNER) && chosen.getRecomputeStagesCount() == 0) {
      chosen = withPlannerRecompute(chosen);
      check(chosen);
    }
    return chosen;
  }

  /**
   * {@code spec} (a named schedule, {@code recompute planner}) with the planner's layer split and
   * recomputation for that schedule; unchanged without a planner profile (no stage recomputes).
   *
   * @throws InvalidJobSpecException naming {@code stageBoundaries} when the spec fixes the split
   *     (the planner chooses recomputation with its own split), or {@code deviceMemoryBytes}
   *     when nothing fits the budget
   */
  public static JobSpec withPlannerRecompute(JobSpec spec) {
    if (spec.getStageBoundariesCount() > 0) {
      throw new InvalidJobSpecException("stageBoundaries", "recompute planner chooses the layer split with the"
          + " recomputation; leave stageBoundaries out, or use recompute all");
    }
    try {
      return RecoveryPlanner.recomputePlan(spec).map(RecoveryPlanner.Replan::spec).orElse(spec);
    } catch (io.tandem.planner.NoFeasiblePlanException e) {
      throw new InvalidJobSpecException("deviceMemoryBytes", e.getMessage());
    }
  }

  /**
   * The defaults of every job spec field a user may leave out: the Java API's builder starts
   * from them and so does a JSON spec posted to the admin API, so both mean the same job.
   */
  public static final JobSpec DEFAULTS = JobSpec.newBuilder()
      .setModel("gpt-tiny").setDataset("corpus").setSchedule("1f1b").setDevices(4).setMicrobatches(8)
      .setMicrobatchSize(4).setOptimizer("adamw").setLearningRate(0.003).setClipNorm(1.0).setSteps(20)
      .setSeed(1).setBackend("cpu").setOpMs(20).setStepTimeoutS(120).setDataParallel(1).build();

  /** The spec's data-parallel replicas D (an unset field, 0, means 1). */
  public static int dataParallel(JobSpec spec) {
    return Math.max(1, spec.getDataParallel());
  }

  /**
   * The reduction groups G: the step's microbatches are summed in G contiguous groups, then the
   * groups in order ({@code reductionGroups}, else the replicas). Replica r of D runs groups
   * {@code [r G/D, (r+1) G/D)}; with fewer replicas than groups a device keeps one partial sum per
   * group, so the weights are those of G replicas.
   */
  public static int reductionGroups(JobSpec spec) {
    return spec.getReductionGroups() > 0 ? spec.getReductionGroups() : dataParallel(spec);
  }

  /** Whether the job runs PipeDream-2BW (two weight versions: no snapshots, never restored from one). */
  public static boolean twoBw(JobSpec spec) {
    return spec.getSchedule().equalsIgnoreCase("2bw");
  }

  /**
   * Steps between in-memory peer snapshots on a cluster (0 = none): the spec's
   * {@code snapshot_every}, {@link JobConfig#AUTO_SNAPSHOTS} when unset, none when negative or
   * for PipeDream-2BW (whose two weight versions a snapshot does not hold).
   */
  public static int snapshotEvery(JobSpec spec) {
    if (spec.getSnapshotEvery() < 0 || twoBw(spec)) {
      return 0;
    }
    return spec.getSnapshotEvery() == 0 ? JobConfig.AUTO_SNAPSHOTS : spec.getSnapshotEvery();
  }

  /** The pipeline depth p: the spec's devices over its replicas ({@code devices = D x p}). */
  public static int pipelineDevices(JobSpec spec) {
    return spec.getDevices() / dataParallel(spec);
  }

  /**
   * {@code spec} with tandem train's defaults in the fields a JSON spec may leave out and that
   * have no meaningful zero: model, dataset, optimizer, backend, schedule, microbatch size,
   * learning rate. Counts (devices, microbatches, steps) are never defaulted: 0 stays an error.
   */
  public static JobSpec withDefaults(JobSpec spec) {
    JobSpec.Builder b = spec.toBuilder();
    if (b.getModel().isBlank()) {
      b.setModel("gpt-tiny");
    }
    if (b.getDataset().isBlank()) {
      b.setDataset("corpus");
    }
    if (b.getOptimizer().isBlank()) {
      b.setOptimizer("adamw");
    }
    if (b.getBackend().isBlank()) {
      b.setBackend("cpu");
    }
    if (b.getSchedule().isBlank()) {
      b.setSchedule("1f1b");
    }
    if (b.getMicrobatchSize() == 0) {
      b.setMicrobatchSize(4);
    }
    if (b.getLearningRate() == 0) {
      b.setLearningRate(0.003);
    }
    return b.build();
  }

  /** Tokens one step of {@code spec} trains on (0 for the sim backend or an unknown model). */
  public static long tokensPerStep(JobSpec spec) {
    if (spec.getBackend().equalsIgnoreCase("sim")) {
      return 0;
    }
    try {
      return (long) spec.getMicrobatches() * spec.getMicrobatchSize() * ModelShapes.parse(spec.getModel()).seqLen();
    } catch (IllegalArgumentException e) {
      return 0;
    }
  }

  /**
   * {@code spec} with the planner's choice filled in: for GPT presets on a real backend the
   * planner ({@link RecoveryPlanner#startPlan}) picks the schedule and the layer split under the
   * per-device memory budget ({@code deviceMemoryBytes}); otherwise {@link #plannerChoice} picks
   * the schedule by simulation under {@code memoryLimit}.
   *
   * @throws InvalidJobSpecException naming {@code deviceMemoryBytes} when nothing fits the budget
   */
  public static JobSpec withPlannerChoice(JobSpec spec) {
    check(spec.toBuilder().setSchedule(JobSpecValidator.PLANNER).build());
    java.util.Optional<RecoveryPlanner.Replan> planned;
    try {
      planned = RecoveryPlanner.startPlan(spec);
    } catch (io.tandem.planner.NoFeasiblePlanException e) {
      throw new InvalidJobSpecException("deviceMemoryBytes", e.getMessage());
    }
    if (planned.isPresent()) {
      return planned.get().spec();
    }
    return spec.toBuilder()
        .setSchedule(plannerChoice(spec.getDevices(), spec.getMicrobatches(), spec.getMemoryLimit())).build();
  }

  /**
   * The planner's choice: among the registered schedules with flush semantics (PipeDream-2BW
   * changes the math, so it is never chosen for you) that can run the spec's devices and
   * microbatches, the one with the shortest simulated step under unit costs whose peak
   * activation stays within {@code memoryLimit} (0 = any); ties go to the lower peak, then the name.
   */
  public static String plannerChoice(int devices, int microbatches, double memoryLimit) {
    String best = null;
    double bestMakespan = Double.MAX_VALUE;
    double bestPeak = Double.MAX_VALUE;
    for (String name : ScheduleRegistry.names()) {
      Schedule s;
      try {
        s = JobFactory.schedule(JobSpec.newBuilder().setSchedule(name).setDevices(devices)
            .setMicrobatches(microbatches).setSteps(1).setBackend("sim").setMemoryLimit(memoryLimit).build());
      } catch (RuntimeException e) {
        continue; // this family cannot run these sizes
      }
      if (!s.weightVersions().isEmpty()) {
        continue;
      }
      SimulationResult r = Simulator.simulate(s);
      double peak = r.maxPeakActivation();
      if (memoryLimit > 0 && peak > memoryLimit + 1e-9) {
        continue;
      }
      if (r.makespan() < bestMakespan - 1e-9
          || (Math.abs(r.makespan() - bestMakespan) <= 1e-9 && peak < bestPeak - 1e-9)) {
        best = name;
        bestMakespan = r.makespan();
        bestPeak = peak;
      }
    }
    if (best == null) {
      throw new InvalidJobSpecException("schedule", "no schedule runs " + devices + " devices x " + microbatches
          + " microbatches" + (memoryLimit > 0 ? " within memory limit " + memoryLimit : ""));
    }
    return best;
  }
}
