package io.tandem.actors;

import io.tandem.actors.worker.ComputeProvider;
import io.tandem.actors.worker.ModelComputeProvider;
import io.tandem.actors.worker.SimComputeProvider;
import io.tandem.kernels.CudaDevices;
import io.tandem.proto.JobSpec;
import io.tandem.schedule.OpCosts;
import io.tandem.schedule.Schedule;
import io.tandem.schedule.ScheduleRegistry;
import io.tandem.schedule.ScheduleSpec;
import io.tandem.schedule.Validator;
import java.util.Locale;
import java.util.OptionalDouble;

/** Turns a (checked) job spec into what the coordinator runs: a validated schedule and the devices' compute. */
public final class JobFactory {
  private JobFactory() {}

  /**
   * The schedule the spec names, generated for one replica's pipeline (devices / dataParallel
   * devices, microbatches / dataParallel microbatches), and validated. The spec's own rules are
   * {@link JobSpecValidator}'s; check them first ({@link JobSpecs#check}).
   */
  public static Schedule schedule(JobSpec spec) {
    int replicas = JobSpecs.dataParallel(spec);
    ScheduleSpec s = new ScheduleSpec(spec.getDevices() / replicas, spec.getMicrobatches() / replicas,
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
      case "sim" -> new SimComputeProvider(null, spec.getOpMs(), spec.getSimGradientBytes());
      case "cpu" -> ModelComputeProvider.cpu(spec);
      case "cuda" -> ModelComputeProvider.cuda(spec, cuda, devicesHere);
      default -> throw new IllegalArgumentException("backend '" + spec.getBackend() + "' is not available yet");
    };
  }

  /**
   * Checks the spec's names and rules (the one validator) without building a model or opening a
   * device: what a coordinator, which may have no GPU, checks before placing a job.
   */
  public static void checkNames(JobSpec spec) {
    JobSpecs.check(spec);
  }
}
