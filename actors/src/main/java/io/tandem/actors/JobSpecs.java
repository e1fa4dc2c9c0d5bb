package io.tandem.actors;

import io.tandem.model.Presets;
import io.tandem.proto.JobSpec;
import io.tandem.schedule.Schedule;
import io.tandem.schedule.ScheduleRegistry;
import io.tandem.schedule.SimulationResult;
import io.tandem.schedule.Simulator;
import java.util.List;
import java.util.Locale;

/**
 * Checks of a whole job spec with errors naming the field (as the Java API and the admin JSON
 * spell it), and the "let the planner choose" schedule choice. Used by the Java API's builder
 * and by the admin endpoint, so both reject the same specs with the same words.
 */
public final class JobSpecs {
  /** Backends a spec may name. */
  public static final List<String> BACKENDS = List.of("cpu", "cuda", "sim");
  /** Datasets a spec may name. */
  public static final List<String> DATASETS = List.of("corpus", "addition");
  /** Optimizers a spec may name. */
  public static final List<String> OPTIMIZERS = List.of("adamw", "sgd");

  private JobSpecs() {}

  /**
   * Throws {@link InvalidJobSpecException} naming the first bad field: ranges, known names, and
   * whether the schedule can be generated (and validated) for the devices and microbatches.
   */
  public static void check(JobSpec spec) {
    require(!spec.getJobId().isBlank(), "jobId", "must not be blank");
    require(spec.getJobId().matches("[A-Za-z0-9_.-]{1,100}"), "jobId",
        "use 1-100 letters, digits, '.', '_' or '-', got '" + spec.getJobId() + "'");
    requireKnownModel(spec);
    require(DATASETS.contains(spec.getDataset().toLowerCase(Locale.ROOT)), "dataset",
        "unknown dataset '" + spec.getDataset() + "'; known: " + String.join(", ", DATASETS));
    require(BACKENDS.contains(spec.getBackend().toLowerCase(Locale.ROOT)), "backend",
        "must be one of " + String.join(", ", BACKENDS) + ", got '" + spec.getBackend() + "'");
    require(OPTIMIZERS.contains(spec.getOptimizer().toLowerCase(Locale.ROOT)), "optimizer",
        "must be one of " + String.join(", ", OPTIMIZERS) + ", got '" + spec.getOptimizer() + "'");
    require(spec.getDevices() >= 1, "devices", "must be >= 1, got " + spec.getDevices());
    require(spec.getMicrobatches() >= 1, "microbatches", "must be >= 1, got " + spec.getMicrobatches());
    require(spec.getMicrobatchSize() >= 1, "microbatchSize", "must be >= 1, got " + spec.getMicrobatchSize());
    require(spec.getSteps() >= 1, "steps", "must be >= 1, got " + spec.getSteps());
    require(spec.getLearningRate() > 0 && Double.isFinite(spec.getLearningRate()), "learningRate",
        "must be a finite number > 0, got " + spec.getLearningRate());
    require(spec.getClipNorm() >= 0, "clipNorm", "must be >= 0 (0 = off), got " + spec.getClipNorm());
    require(spec.getMemoryLimit() >= 0, "memoryLimit", "must be >= 0 (0 = none), got " + spec.getMemoryLimit());
    require(spec.getOpMs() >= 0, "opMs", "must be >= 0, got " + spec.getOpMs());
    require(spec.getStepTimeoutS() >= 0, "stepTimeoutSeconds", "must be >= 0 (0 = default), got "
        + spec.getStepTimeoutS());
    require(spec.getCheckpointEvery() >= 0, "checkpointEvery", "must be >= 0 (0 = on request only), got "
        + spec.getCheckpointEvery());
    require(spec.getCheckpointEvery() == 0 || !spec.getCheckpointDir().isBlank(), "checkpointDir",
        "is required with checkpointEvery " + spec.getCheckpointEvery());
    require(spec.getKeepCheckpoints() >= 0, "keepCheckpoints", "must be >= 0 (0 = the default, 3), got "
        + spec.getKeepCheckpoints());
    require(spec.getCheckpointDir().isBlank() || !spec.getSchedule().equalsIgnoreCase("2bw"), "checkpointDir",
        "2bw keeps two weight versions; checkpoints hold one");
    require(!spec.getSchedule().isBlank(), "schedule", "is required (a name, 'auto' or the planner's choice)");
    require(ScheduleRegistry.names().contains(spec.getSchedule().toLowerCase(Locale.ROOT)), "schedule",
        "unknown schedule '" + spec.getSchedule() + "'; known: " + String.join(", ", ScheduleRegistry.names()));
    try {
      JobFactory.schedule(spec);
    } catch (RuntimeException e) {
      throw new InvalidJobSpecException("schedule", "'" + spec.getSchedule() + "' cannot run " + spec.getDevices()
          + " devices x " + spec.getMicrobatches() + " microbatches: " + e.getMessage());
    }
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
    if (spec.getBackend().equalsIgnoreCase("sim") || !Presets.names().contains(spec.getModel().toLowerCase(Locale.ROOT))) {
      return 0;
    }
    return (long) spec.getMicrobatches() * spec.getMicrobatchSize() * Presets.byName(spec.getModel()).seqLen();
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
    requireKnownModel(spec);
    require(spec.getDevices() >= 1, "devices", "must be >= 1, got " + spec.getDevices());
    require(spec.getMicrobatches() >= 1, "microbatches", "must be >= 1, got " + spec.getMicrobatches());
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

  private static void requireKnownModel(JobSpec spec) {
    require(Presets.names().contains(spec.getModel().toLowerCase(Locale.ROOT)), "model",
        "unknown preset '" + spec.getModel() + "'; known: " + String.join(", ", Presets.names()));
  }

  private static void require(boolean ok, String field, String reason) {
    if (!ok) {
      throw new InvalidJobSpecException(field, reason);
    }
  }
}
