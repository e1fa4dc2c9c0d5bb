package io.tandem.actors;

import io.tandem.kernels.CudaDevices;
import io.tandem.proto.JobSpec;
import io.tandem.schedule.OpCosts;
import io.tandem.schedule.Schedule;
import io.tandem.schedule.ScheduleRegistry;
import io.tandem.schedule.ScheduleSpec;
import io.tandem.schedule.Validator;
import java.util.Locale;
import java.util.OptionalDouble;

/** Turns a job spec into what the coordinator runs: a validated schedule and the devices' compute. */
public final class JobFactory {
  private JobFactory() {}

  /** Checks the fields every job needs; the message names the option. */
  public static void validate(JobSpec spec) {
    require(spec.getDevices() >= 1, "--devices must be >= 1, got " + spec.getDevices());
    require(spec.getMicrobatches() >= 1, "--microbatches must be >= 1, got " + spec.getMicrobatches());
    require(spec.getSteps() >= 1, "--steps must be >= 1, got " + spec.getSteps());
    require(!spec.getSchedule().isBlank(), "--schedule is required");
    String backend = spec.getBackend().toLowerCase(Locale.ROOT);
    require(backend.equals("cpu") || backend.equals("cuda") || backend.equals("sim"),
        "--backend must be cpu, cuda or sim, got '" + spec.getBackend() + "'");
    require(!backend.equals("sim") || spec.getOpMs() >= 0, "--op-ms must be >= 0, got " + spec.getOpMs());
    require(spec.getMicrobatchSize() >= 0, "--microbatch-size must be >= 1, got " + spec.getMicrobatchSize());
    require(spec.getLearningRate() >= 0, "--lr must be >= 0, got " + spec.getLearningRate());
    require(spec.getCheckpointEvery() >= 0, "--checkpoint-every must be >= 0, got " + spec.getCheckpointEvery());
    require(spec.getCheckpointEvery() == 0 || !spec.getCheckpointDir().isBlank(),
        "--checkpoint-dir is required with --checkpoint-every");
    CheckpointPolicy.of(spec);
  }

  /** The schedule the spec names, generated for its devices and microbatches, and validated. */
  public static Schedule schedule(JobSpec spec) {
    validate(spec);
    ScheduleSpec s = new ScheduleSpec(spec.getDevices(), spec.getMicrobatches(),
        spec.getSchedule().equalsIgnoreCase("interleaved-1f1b") ? 2 : 1, OpCosts.UNIT, null,
        spec.getMemoryLimit() > 0 ? OptionalDouble.of(spec.getMemoryLimit()) : OptionalDouble.empty());
    Schedule schedule = ScheduleRegistry.generate(spec.getSchedule(), s);
    Validator.validate(schedule);
    return schedule;
  }

  /**
   * The devices' compute for the spec's backend, every device in this process (CUDA: the real
   * GPUs, or fake ones when {@code tandem.cuda.fake-devices} is set).
   */
  public static ComputeProvider provider(JobSpec spec, Schedule schedule) {
    return provider(spec, schedule, CudaDevices.fromSystemProperties(), spec.getDevices());
  }

  /**
   * The compute for the {@code devicesHere} job devices this machine runs, CUDA ones opened
   * through {@code cuda} by local ordinal.
   */
  public static ComputeProvider provider(JobSpec spec, Schedule schedule, CudaDevices cuda, int devicesHere) {
    return switch (spec.getBackend().toLowerCase(Locale.ROOT)) {
      case "sim" -> new SimComputeProvider(null, spec.getOpMs());
      case "cpu" -> ModelComputeProvider.cpu(spec);
      case "cuda" -> ModelComputeProvider.cuda(spec, cuda, devicesHere);
      default -> throw new IllegalArgumentException("backend '" + spec.getBackend() + "' is not available yet");
    };
  }

  /**
   * Checks the backend, model, dataset and optimizer names without building a model or opening
   * a device: what a coordinator (which may have no GPU) checks before placing a job.
   */
  public static void checkNames(JobSpec spec) {
    validate(spec);
    if (!spec.getBackend().equalsIgnoreCase("sim")) {
      ModelComputeProvider.checkNames(spec);
    }
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
