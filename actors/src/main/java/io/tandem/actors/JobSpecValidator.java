package io.tandem.actors;

import io.tandem.actors.coordinator.CheckpointPolicy;
import io.tandem.actors.worker.ModelComputeProvider;
import io.tandem.actors.worker.Partition;
import io.tandem.model.ModelShapes;
import io.tandem.model.ModelSpec;
import io.tandem.model.data.AdditionTask;
import io.tandem.model.data.CorpusDataset;
import io.tandem.proto.JobSpec;
import io.tandem.schedule.Schedule;
import io.tandem.schedule.ScheduleRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The one set of rules a job spec must meet, whoever submits it: {@code tandem train} and
 * {@code submit}, the Java API's builder, the admin HTTP API and the coordinator all call
 * {@link #problems} (through {@link JobSpecs#check}), so they reject the same specs with the
 * same words. Fields are named as the Java API and the JSON spec spell them. Fields of the model
 * (model, dataset, optimizer, microbatchSize, learningRate) are checked only on backends that run
 * one (cpu, cuda): the sim backend runs none.
 */
public final class JobSpecValidator {
  /** Backends a spec may name. */
  public static final List<String> BACKENDS = List.of("cpu", "cuda", "sim");
  /** Datasets a spec may name. */
  public static final List<String> DATASETS = List.of("corpus", "addition");
  /** Optimizers a spec may name. */
  public static final List<String> OPTIMIZERS = List.of("adamw", "sgd");
  /** The schedule name that lets the planner choose (resolved by {@link JobSpecs#prepare} before a job runs). */
  public static final String PLANNER = "planner";

  /**
   * One broken rule.
   *
   * @param field the spec field at fault, e.g. {@code microbatches}
   * @param reason why, one line, e.g. {@code must be >= 1, got 0}
   */
  public record Problem(String field, String reason) {
    /** {@code field: reason}, the one line every entry point shows. */
    public String message() {
      return field + ": " + reason;
    }
  }

  private JobSpecValidator() {}

  /** Every rule {@code spec} breaks, in a fixed order (empty: the spec can run). */
  public static List<Problem> problems(JobSpec spec) {
    List<Problem> out = new ArrayList<>();
    Rules r = new Rules(out);
    r.require(spec.getJobId().matches("[A-Za-z0-9_.-]{1,100}"), "jobId",
        "use 1-100 letters, digits, '.', '_' or '-', got '" + spec.getJobId() + "'");
    String backend = spec.getBackend().toLowerCase(Locale.ROOT);
    r.require(BACKENDS.contains(backend), "backend",
        "must be one of " + String.join(", ", BACKENDS) + ", got '" + spec.getBackend() + "'");
    boolean devicesOk = r.require(spec.getDevices() >= 1, "devices", "must be >= 1, got " + spec.getDevices());
    boolean microbatchesOk = r.require(spec.getMicrobatches() >= 1, "microbatches",
        "must be >= 1, got " + spec.getMicrobatches());
    r.require(spec.getSteps() >= 1, "steps", "must be >= 1, got " + spec.getSteps());
    boolean replicasOk = devicesOk && microbatchesOk && dataParallel(spec, r);
    ModelSpec model = null;
    boolean runsModel = backend.equals("cpu") || backend.equals("cuda");
    if (runsModel) {
      model = model(spec, r);
      r.require(DATASETS.contains(spec.getDataset().toLowerCase(Locale.ROOT)), "dataset",
          "unknown dataset '" + spec.getDataset() + "'; known: " + String.join(", ", DATASETS));
      r.require(OPTIMIZERS.contains(spec.getOptimizer().toLowerCase(Locale.ROOT)), "optimizer",
          "must be one of " + String.join(", ", OPTIMIZERS) + ", got '" + spec.getOptimizer() + "'");
      r.require(spec.getMicrobatchSize() >= 1, "microbatchSize", "must be >= 1, got " + spec.getMicrobatchSize());
      r.require(spec.getLearningRate() > 0 && Double.isFinite(spec.getLearningRate()), "learningRate",
          "must be a finite number > 0, got " + spec.getLearningRate());
      if (model != null) {
        dataFits(spec, model, r);
      }
    }
    r.require(spec.getClipNorm() >= 0 && Double.isFinite(spec.getClipNorm()), "clipNorm",
        "must be >= 0 (0 = off), got " + spec.getClipNorm());
    r.require(spec.getMemoryLimit() >= 0, "memoryLimit", "must be >= 0 (0 = none), got " + spec.getMemoryLimit());
    r.require(spec.getDeviceMemoryBytes() >= 0, "deviceMemoryBytes",
        "must be >= 0 (0 = unlimited), got " + (long) spec.getDeviceMemoryBytes());
    r.require(spec.getOpMs() >= 0, "opMs", "must be >= 0, got " + spec.getOpMs());
    r.require(spec.getSimGradientBytes() >= 0 && spec.getSimGradientBytes() <= 8L << 30, "simGradientBytes",
        "must be in [0, 8 GiB], got " + spec.getSimGradientBytes());
    r.require(spec.getStepTimeoutS() >= 0, "stepTimeoutS", "must be >= 0 (0 = default), got "
        + spec.getStepTimeoutS());
    r.require(spec.getMinNodes() >= 0, "minNodes", "must be >= 0 (0 = one per device), got " + spec.getMinNodes());
    checkpoints(spec, r);
    recompute(spec, runsModel, r);
    String schedule = spec.getSchedule().toLowerCase(Locale.ROOT);
    boolean known = r.require(!schedule.isBlank(), "schedule", "is required (a name, 'auto' or 'planner')")
        && r.require(ScheduleRegistry.names().contains(schedule) || schedule.equals(PLANNER), "schedule",
            "unknown schedule '" + spec.getSchedule() + "'; known: " + String.join(", ", ScheduleRegistry.names())
                + ", " + PLANNER);
    if (known && !schedule.equals(PLANNER) && replicasOk) {
      scheduleFits(spec, schedule, runsModel, model, r);
    }
    return List.copyOf(out);
  }

  /** dataParallel D: devices and microbatches split evenly over the replicas. */
  private static boolean dataParallel(JobSpec spec, Rules r) {
    int d = spec.getDataParallel();
    if (!r.require(d >= 0, "dataParallel", "must be >= 1, got " + d)) {
      return false;
    }
    int replicas = JobSpecs.dataParallel(spec);
    boolean ok = r.require(spec.getDevices() % replicas == 0, "devices", spec.getDevices()
        + " is not a multiple of dataParallel " + replicas + " (devices = dataParallel x pipeline depth)");
    ok &= r.require(spec.getMicrobatches() % replicas == 0, "microbatches", spec.getMicrobatches()
        + " is not a multiple of dataParallel " + replicas + " (each replica takes microbatches / dataParallel)");
    int groups = spec.getReductionGroups();
    ok = ok && r.require(groups >= 0, "reductionGroups", "must be >= 0 (0 = dataParallel), got " + groups);
    ok = ok && r.require(groups == 0 || replicas == 1 || replicas == groups, "reductionGroups", "dataParallel "
        + replicas + " must be 1 or reductionGroups " + groups + " (a replica sums whole groups)");
    ok = ok && r.require(groups == 0 || spec.getMicrobatches() % groups == 0, "microbatches", spec.getMicrobatches()
        + " is not a multiple of reductionGroups " + groups);
    ok = ok && r.require(groups <= 1 || replicas == groups || !spec.getSchedule().equalsIgnoreCase("2bw"),
        "reductionGroups", "2bw updates inside a step, so it runs its " + groups + " reduction groups as that many replicas"
        + " (dataParallel " + groups + ")");
    ok = ok && r.require(replicas == 1 || !spec.getSchedule().equalsIgnoreCase(PLANNER), "dataParallel",
        "--schedule planner with dataParallel > 1 is not supported yet; name a schedule (e.g. 1f1b)");
    return ok;
  }

  private static ModelSpec model(JobSpec spec, Rules r) {
    try {
      return ModelShapes.parse(spec.getModel());
    } catch (IllegalArgumentException e) {
      r.require(false, "model", spec.getModel().isBlank()
          ? "is required; " + e.getMessage().replaceFirst("^unknown model; ", "")
          : spec.getModel() + ": " + e.getMessage());
      return null;
    }
  }

  private static void dataFits(JobSpec spec, ModelSpec model, Rules r) {
    r.require(model.vocab() >= CorpusDataset.VOCAB, "model", spec.getModel() + ": vocab (" + model.vocab()
        + ") must be >= " + CorpusDataset.VOCAB + " (the datasets are byte-level)");
    if (spec.getDataset().equalsIgnoreCase("addition")) {
      AdditionTask task = ModelComputeProvider.additionTask();
      r.require(model.seqLen() > task.exampleLength(), "model", spec.getModel() + ": seq (" + model.seqLen()
          + ") must be > " + task.exampleLength() + " to hold one example of the addition dataset");
    }
  }

  private static void checkpoints(JobSpec spec, Rules r) {
    r.require(spec.getCheckpointEvery() >= 0, "checkpointEvery", "must be >= 0 (0 = on request only), got "
        + spec.getCheckpointEvery());
    r.require(spec.getCheckpointEvery() <= 0 || !spec.getCheckpointDir().isBlank(), "checkpointDir",
        "is required with checkpointEvery " + spec.getCheckpointEvery());
    r.require(spec.getKeepCheckpoints() >= 0, "keepCheckpoints", "must be >= 0 (0 = the default, "
        + CheckpointPolicy.DEFAULT_KEEP + "), got " + spec.getKeepCheckpoints());
    r.require(spec.getCheckpointDir().isBlank() || !spec.getSchedule().equalsIgnoreCase("2bw"), "checkpointDir",
        "2bw keeps two weight versions; checkpoints hold one");
    if (r.require(spec.getResumeStep() >= 0, "resumeStep", "must be >= 0 (0 = from step 0), got "
        + spec.getResumeStep()) && spec.getResumeStep() > 0) {
      r.require(!spec.getCheckpointDir().isBlank(), "checkpointDir", "is required with resumeStep "
          + spec.getResumeStep() + " (the directory holding step-" + spec.getResumeStep() + ")");
      r.require(spec.getResumeStep() < spec.getSteps(), "steps", "must be past resumeStep " + spec.getResumeStep()
          + ", got " + spec.getSteps());
    }
  }

  private static void recompute(JobSpec spec, boolean runsModel, Rules r) {
    String mode = Recompute.mode(spec);
    if (!r.require(Recompute.MODES.contains(mode), "recompute", "must be one of " + String.join(", ", Recompute.MODES)
        + ", got '" + spec.getRecompute() + "'")) {
      return;
    }
    r.require(mode.equals(Recompute.NONE) || runsModel, "recompute", "'" + mode
        + "' needs a backend that runs layers (cpu, cuda), got " + spec.getBackend());
    r.require(spec.getRecomputeStagesCount() == 0 || mode.equals(Recompute.PLANNER), "recomputeStages",
        "holds the planner's choice, so only with recompute planner, got " + spec.getRecomputeStagesCount()
            + " flags with recompute " + mode);
  }

  private static void scheduleFits(JobSpec spec, String schedule, boolean runsModel, ModelSpec model, Rules r) {
    int p = JobSpecs.pipelineDevices(spec);
    int m = spec.getMicrobatches() / JobSpecs.dataParallel(spec);
    boolean divisible = !(schedule.equals("interleaved-1f1b") || schedule.equals("2bw") && runsModel) || m % p == 0;
    if (!r.require(divisible, "microbatches", schedule + " needs a multiple of devices (" + p + "), got " + m)) {
      return;
    }
    if (!r.require(!schedule.equals("auto") || spec.getMemoryLimit() == 0 || spec.getMemoryLimit() >= 1,
        "memoryLimit", "auto needs a limit >= 1 (one microbatch's activations per device; 0 = the default, "
            + "devices), got " + spec.getMemoryLimit())) {
      return;
    }
    Schedule s;
    try {
      s = JobFactory.schedule(spec);
    } catch (RuntimeException e) {
      r.require(false, "schedule", "'" + spec.getSchedule() + "' cannot run " + p + " devices x " + m
          + " microbatches: " + e.getMessage());
      return;
    }
    r.require(spec.getRecomputeStagesCount() == 0 || spec.getRecomputeStagesCount() == s.stages(), "recomputeStages",
        spec.getRecomputeStagesCount() + " flags for " + s.name() + "'s " + s.stages() + " virtual stages");
    if (model == null) {
      return;
    }
    if (spec.getStageBoundariesCount() > 0) {
      try {
        Partition split = new Partition(spec.getStageBoundariesList());
        r.require(split.stages() == s.stages() && split.end(split.stages() - 1) == model.numLayers(),
            "stageBoundaries", spec.getStageBoundariesList() + " do not split the model's " + model.numLayers()
                + " layers into " + s.name() + "'s " + s.stages() + " virtual stages");
      } catch (IllegalArgumentException e) {
        r.require(false, "stageBoundaries", e.getMessage());
      }
    } else {
      r.require(model.numLayers() >= s.stages(), "devices", spec.getModel() + " has " + model.numLayers()
          + " layers, fewer than the " + s.stages() + " virtual stages of " + s.name() + " on " + p + " devices");
    }
  }

  /** Collects problems; {@link #require} returns whether the rule holds. */
  private record Rules(List<Problem> out) {
    boolean require(boolean ok, String field, String reason) {
      if (!ok) {
        out.add(new Problem(field, reason));
      }
      return ok;
    }
  }
}
