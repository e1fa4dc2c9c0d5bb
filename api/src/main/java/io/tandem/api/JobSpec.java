package io.tandem.api;

import io.tandem.actors.InvalidJobSpecException;
import io.tandem.actors.JobSpecs;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * What to train, immutable. Build one with {@link #builder()}; {@link Builder#build()} checks
 * every field and throws {@link InvalidJobSpecException} naming the bad one (e.g.
 * {@code microbatches: must be >= 1, got 0}). Defaults are those of {@code tandem train}.
 *
 * <pre>{@code
 * JobSpec spec = JobSpec.builder().model("gpt-tiny").devices(4).microbatches(8)
 *     .schedule("zb-h1").steps(20).build();
 * }</pre>
 */
public final class JobSpec {

  /** How the schedule was chosen. */
  public enum ScheduleChoice {
    /** A schedule named by the caller. */
    NAMED,
    /** {@code auto}: the best V-shape schedule within a peak-activation limit. */
    AUTO,
    /** The planner's choice: the fastest simulated schedule (within the memory limit, if any). */
    PLANNER
  }

  private final io.tandem.proto.JobSpec proto;
  private final ScheduleChoice choice;
  private final boolean idGiven;

  private JobSpec(io.tandem.proto.JobSpec proto, ScheduleChoice choice, boolean idGiven) {
    this.proto = proto;
    this.choice = choice;
    this.idGiven = idGiven;
  }

  /** A builder with {@code tandem train}'s defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The job id given to the builder, if any (otherwise the client makes one up at submit). */
  public Optional<String> jobId() {
    return idGiven ? Optional.of(proto.getJobId()) : Optional.empty();
  }

  public String model() {
    return proto.getModel();
  }

  public String dataset() {
    return proto.getDataset();
  }

  /** The schedule that runs (for {@link ScheduleChoice#PLANNER}, the one the planner picked). */
  public String schedule() {
    return proto.getSchedule();
  }

  public ScheduleChoice scheduleChoice() {
    return choice;
  }

  /** Peak-activation limit (DESIGN.md units) for auto and the planner; 0 = none. */
  public double memoryLimit() {
    return proto.getMemoryLimit();
  }

  public int devices() {
    return proto.getDevices();
  }

  public int microbatches() {
    return proto.getMicrobatches();
  }

  /** Data-parallel replicas D (devices = D x pipeline depth). */
  public int dataParallel() {
    return JobSpecs.dataParallel(proto);
  }

  public int microbatchSize() {
    return proto.getMicrobatchSize();
  }

  public String optimizer() {
    return proto.getOptimizer();
  }

  public double learningRate() {
    return proto.getLearningRate();
  }

  public double clipNorm() {
    return proto.getClipNorm();
  }

  public int steps() {
    return proto.getSteps();
  }

  public long seed() {
    return proto.getSeed();
  }

  public String backend() {
    return proto.getBackend();
  }

  /** Sim backend: milliseconds per unit op cost. */
  public double opMillis() {
    return proto.getOpMs();
  }

  public Duration stepTimeout() {
    return Duration.ofMillis((long) (proto.getStepTimeoutS() * 1000));
  }

  /** The checkpoint directory, if the job checkpoints. */
  public Optional<java.nio.file.Path> checkpointDir() {
    return proto.getCheckpointDir().isEmpty() ? Optional.empty() : Optional.of(java.nio.file.Path.of(proto.getCheckpointDir()));
  }

  /** Steps between checkpoints (0 = only on request, or no checkpoints without a directory). */
  public int checkpointEvery() {
    return proto.getCheckpointEvery();
  }

  /** Tokens one step trains on (0 for the sim backend, which runs no model). */
  public long tokensPerStep() {
    return JobSpecs.tokensPerStep(proto);
  }

  /** The wire form the runtime takes, stamped with {@code jobId}. */
  public io.tandem.proto.JobSpec toProto(String jobId) {
    return proto.toBuilder().setJobId(jobId).build();
  }

  @Override
  public String toString() {
    return "JobSpec{" + proto.toString().replace('\n', ' ').trim() + ", choice=" + choice + "}";
  }

  /** Collects the fields of a {@link JobSpec}; not thread-safe. */
  public static final class Builder {
    private final io.tandem.proto.JobSpec.Builder b = io.tandem.actors.JobSpecs.DEFAULTS.toBuilder();
    private ScheduleChoice choice = ScheduleChoice.NAMED;
    private String jobId;

    private Builder() {}

    /** The job's id (1-100 letters, digits, '.', '_', '-'); default: made up at submit. */
    public Builder jobId(String id) {
      this.jobId = id;
      return this;
    }

    /**
     * Model: a preset (gpt-tiny, gpt-mini, mlp-small; default gpt-tiny) or a shape,
     * {@code gpt:layers=L,hidden=H,heads=A,seq=S,vocab=V} or {@code mlp:layers=L,hidden=H,seq=S,vocab=V}.
     */
    public Builder model(String model) {
      b.setModel(nonNull(model, "model"));
      return this;
    }

    /** Data source: corpus (byte-level Europarl, default) or addition. */
    public Builder dataset(String name) {
      b.setDataset(nonNull(name, "dataset"));
      return this;
    }

    /** A schedule by name (see {@code tandem schedule list}; default 1f1b). */
    public Builder schedule(String name) {
      b.setSchedule(nonNull(name, "schedule")).setMemoryLimit(0);
      choice = ScheduleChoice.NAMED;
      return this;
    }

    /**
     * The {@code auto} schedule: the best V-shape schedule whose peak activation stays within the
     * limit (>= 1; 0 = the default, the device count).
     */
    public Builder autoSchedule(double memoryLimit) {
      b.setSchedule("auto").setMemoryLimit(memoryLimit);
      choice = ScheduleChoice.AUTO;
      return this;
    }

    /**
     * Let the planner choose the fastest schedule for the devices and microbatches. For GPT
     * presets on the cpu or cuda backend the planner also picks the layer split, under
     * {@link #deviceMemoryBytes} when set ({@code build()} fails naming that field when nothing
     * fits); for other models it compares schedules by simulation.
     */
    public Builder plannerChooses() {
      return plannerChooses(0);
    }

    /** Let the planner choose the fastest schedule whose peak activation stays within {@code memoryLimit} (0 = any). */
    public Builder plannerChooses(double memoryLimit) {
      b.setSchedule("planner").setMemoryLimit(memoryLimit);
      choice = ScheduleChoice.PLANNER;
      return this;
    }

    /**
     * Per-device memory budget in bytes (0 = unlimited): the planner's choice and every re-plan
     * after a failure stay within it.
     */
    public Builder deviceMemoryBytes(long bytes) {
      b.setDeviceMemoryBytes(bytes);
      return this;
    }

    /** Devices in all, data-parallel replicas x pipeline depth (default 4). */
    public Builder devices(int n) {
      b.setDevices(n);
      return this;
    }

    /**
     * Data-parallel replicas D (default 1): each runs the schedule on devices / D pipeline devices
     * and microbatches / D of each step's microbatches; their gradients are summed in replica order.
     */
    public Builder dataParallel(int d) {
      b.setDataParallel(d);
      return this;
    }

    /** Microbatches per step (default 8). */
    public Builder microbatches(int n) {
      b.setMicrobatches(n);
      return this;
    }

    /** Sequences per microbatch (default 4). */
    public Builder microbatchSize(int n) {
      b.setMicrobatchSize(n);
      return this;
    }

    /** adamw (default) or sgd. */
    public Builder optimizer(String name) {
      b.setOptimizer(nonNull(name, "optimizer"));
      return this;
    }

    /** Learning rate (default 0.003). */
    public Builder learningRate(double lr) {
      b.setLearningRate(lr);
      return this;
    }

    /** Global gradient-norm clip, 0 = off (default 1.0). */
    public Builder clipNorm(double norm) {
      b.setClipNorm(norm);
      return this;
    }

    /** Optimizer steps (default 20). */
    public Builder steps(int n) {
      b.setSteps(n);
      return this;
    }

    /** Seed of initial weights, data order and dropout (default 1). */
    public Builder seed(long seed) {
      b.setSeed(seed);
      return this;
    }

    /** cpu (default), cuda or sim (simulated op costs, no model). */
    public Builder backend(String name) {
      b.setBackend(nonNull(name, "backend").toLowerCase(Locale.ROOT));
      return this;
    }

    /** Sim backend: milliseconds per unit op cost (default 20). */
    public Builder opMillis(double ms) {
      b.setOpMs(ms);
      return this;
    }

    /**
     * Checkpoints into {@code dir} (every worker must reach it) after every {@code everySteps}
     * steps; 0 = only on request ({@link JobHandle#checkpointNow()}). A failed node's job
     * resumes from the newest one.
     */
    public Builder checkpointing(java.nio.file.Path dir, int everySteps) {
      b.setCheckpointDir(nonNull(dir, "checkpointDir").toString()).setCheckpointEvery(everySteps);
      return this;
    }

    /**
     * Cluster jobs: an in-memory peer snapshot of every worker's layers after every
     * {@code everySteps} steps (0 = off), restored from the survivors' memory after a node
     * failure instead of the disk checkpoint. Unset: automatic, every step unless a worker's
     * state takes long to copy next to a step (then every few steps; the job's
     * {@code snapshot-interval} event says which).
     */
    public Builder snapshotEvery(int everySteps) {
      if (everySteps < 0) {
        throw new IllegalArgumentException("snapshotEvery: must be >= 0 (0 = off), got " + everySteps);
      }
      b.setSnapshotEvery(everySteps == 0 ? -1 : everySteps);
      return this;
    }

    /** Checkpoints kept (default 3). */
    public Builder keepCheckpoints(int n) {
      b.setKeepCheckpoints(n);
      return this;
    }

    /**
     * Activation recomputation: {@code none} (default), {@code all} (every virtual stage drops its
     * stash after F, keeps only its input and recomputes the stash before B: less memory, the same
     * weights bit for bit) or {@code planner} (the stages the planner picks under
     * {@link #deviceMemoryBytes}).
     */
    public Builder recompute(String mode) {
      b.setRecompute(nonNull(mode, "recompute").toLowerCase(Locale.ROOT));
      return this;
    }

    /** How long one step may take before the job fails (default 120 s). */
    public Builder stepTimeout(Duration timeout) {
      b.setStepTimeoutS(nonNull(timeout, "stepTimeout").toMillis() / 1000.0);
      return this;
    }

    /**
     * Checks every field ({@link io.tandem.actors.JobSpecValidator}'s rules, the same as the CLI's,
     * the admin API's and the coordinator's) and builds the spec; for {@link #plannerChooses()} it
     * picks the schedule here.
     *
     * @throws InvalidJobSpecException naming the first bad field ({@code problems()} lists all)
     */
    public JobSpec build() {
      io.tandem.proto.JobSpec.Builder copy = b.clone().setJobId(jobId == null ? "unnamed" : jobId)
          .setModel(b.getModel().toLowerCase(Locale.ROOT)).setDataset(b.getDataset().toLowerCase(Locale.ROOT))
          .setOptimizer(b.getOptimizer().toLowerCase(Locale.ROOT));
      return new JobSpec(JobSpecs.prepare(copy.build()), choice, jobId != null);
    }

    private static <T> T nonNull(T value, String field) {
      if (value == null) {
        throw new InvalidJobSpecException(field, "must not be null");
      }
      return value;
    }
  }
}
