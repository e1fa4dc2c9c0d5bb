package io.tandem.actors.worker;

import io.tandem.actors.Recompute;
import io.tandem.kernels.Backend;
import io.tandem.kernels.CpuBackend;
import io.tandem.kernels.CudaAvailability;
import io.tandem.kernels.CudaDevices;
import io.tandem.model.ModelSpec;
import io.tandem.model.ModelShapes;
import io.tandem.model.data.AdditionTask;
import io.tandem.model.data.CorpusDataset;
import io.tandem.model.data.Dataset;
import io.tandem.model.data.EuroparlCorpus;
import io.tandem.model.optim.AdamW;
import io.tandem.model.optim.LearningRate;
import io.tandem.model.optim.Optimizer;
import io.tandem.model.optim.Sgd;
import io.tandem.proto.JobSpec;
import io.tandem.schedule.PipeDream2BW;
import io.tandem.schedule.Schedule;
import java.util.Locale;
import java.util.function.IntFunction;

/**
 * Devices that run real layers: the model (a preset or a shape, {@link ModelShapes}) split evenly over the schedule's virtual
 * stages, each device on its own backend (CPU threads shared out, or one GPU each).
 */
public final class ModelComputeProvider implements ComputeProvider {
  private final JobSpec spec;
  private final ModelSpec model;
  private final Dataset data;
  /** Opens the backend of a local device ordinal. */
  private final IntFunction<Backend> backends;

  public ModelComputeProvider(JobSpec spec, IntFunction<Backend> backends) {
    this.spec = spec;
    this.model = ModelShapes.parse(spec.getModel());
    this.data = dataset(spec.getDataset());
    this.backends = backends;
  }

  /** CPU devices: the machine's cores shared out evenly, at least one thread each. */
  public static ModelComputeProvider cpu(JobSpec spec) {
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / Math.max(1, spec.getDevices()));
    return new ModelComputeProvider(spec, device -> CpuBackend.create(threads));
  }

  /**
   * CUDA devices of this machine, opened by local ordinal ({@link #open(int, int, Schedule)}).
   * Fails with the probe's reason (no driver, no device) when CUDA is not usable here, or when
   * this machine has fewer GPUs than {@code devicesHere}, the job devices it is to run.
   */
  public static ModelComputeProvider cuda(JobSpec spec, CudaDevices devices, int devicesHere) {
    CudaAvailability cuda = devices.availability();
    if (!cuda.available()) {
      throw new IllegalArgumentException("--backend cuda: " + cuda.reason() + "; use --backend cpu");
    }
    if (cuda.devices() < devicesHere) {
      throw new IllegalArgumentException("--backend cuda: " + devicesHere + " devices asked for, "
          + cuda.devices() + " GPU(s) found");
    }
    return new ModelComputeProvider(spec, devices::open);
  }

  /** The dataset a job names ("" = the corpus). */
  public static Dataset dataset(String name) {
    return switch (name.isEmpty() ? "corpus" : name.toLowerCase(Locale.ROOT)) {
      case "corpus", "europarl" -> new CorpusDataset(EuroparlCorpus.shared());
      case "addition" -> additionTask();
      default -> throw new IllegalArgumentException("unknown dataset '" + name + "'; use corpus or addition");
    };
  }

  /** The addition dataset jobs train on (3-digit sums). */
  public static AdditionTask additionTask() {
    return new AdditionTask(3);
  }

  public static Optimizer optimizer(String name) {
    return switch (name.isEmpty() ? "adamw" : name.toLowerCase(Locale.ROOT)) {
      case "adamw" -> AdamW.defaults();
      case "sgd" -> new Sgd(0.9f, 0f);
      default -> throw new IllegalArgumentException("unknown optimizer '" + name + "'; use adamw or sgd");
    };
  }

  /** The spec's layer split (a plan's), or the even split of the model's layers over the schedule's virtual stages. */
  public Partition partition(Schedule schedule) {
    if (spec.getStageBoundariesCount() > 0) {
      Partition p = new Partition(spec.getStageBoundariesList());
      if (p.stages() != schedule.stages() || p.end(p.stages() - 1) != model.numLayers()) {
        throw new IllegalArgumentException("stage boundaries " + spec.getStageBoundariesList() + " do not split "
            + model.numLayers() + " layers into the schedule's " + schedule.stages() + " virtual stages");
      }
      return p;
    }
    return Partition.even(model.numLayers(), schedule.stages());
  }

  @Override
  public DeviceCompute open(int device, Schedule schedule) {
    return open(device, device, schedule);
  }

  @Override
  public DeviceCompute open(int device, int localOrdinal, Schedule schedule) {
    Partition partition = partition(schedule);
    Backend backend = backends.apply(localOrdinal);
    try {
      ModelStageCompute compute = new ModelStageCompute(backend, model, partition,
          schedule.placement().stagesOf(device % schedule.devices()), data, spec.getSeed(),
          schedule.microbatches() * io.tandem.actors.JobSpecs.dataParallel(spec),
          spec.getMicrobatchSize(), optimizer(spec.getOptimizer()),
          LearningRate.constant((float) spec.getLearningRate()),
          schedule.weightVersions().isEmpty() ? 0 : PipeDream2BW.updateInterval(schedule.devices()),
          Recompute.flags(spec, schedule.stages()), io.tandem.actors.JobSpecs.reductionGroups(spec));
      return new DeviceCompute(compute, backend.executor());
    } catch (RuntimeException e) {
      backend.close();
      throw e;
    }
  }

  @Override
  public long tokensPerStep() {
    return (long) spec.getMicrobatches() * spec.getMicrobatchSize() * model.seqLen();
  }
}
