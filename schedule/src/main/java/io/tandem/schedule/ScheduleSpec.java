package io.tandem.schedule;

import java.util.OptionalDouble;

/**
 * What a generator is asked for: devices, microbatches, chunks per device (only generators with
 * a free chunk count read it), op costs, and an optional peak-activation limit (DESIGN.md units:
 * one microbatch's activations for {@code 1/p} of the model).
 *
 * @param costs uniform costs; used when {@code stageCosts} is null
 * @param stageCosts per-virtual-stage durations, or null to derive them from {@code costs}
 */
public record ScheduleSpec(
    int devices,
    int microbatches,
    int chunksPerDevice,
    OpCosts costs,
    StageCosts stageCosts,
    OptionalDouble memoryLimit) {

  public ScheduleSpec {
    if (devices < 1) {
      throw new IllegalArgumentException("devices (-p) must be >= 1, got " + devices);
    }
    if (microbatches < 1) {
      throw new IllegalArgumentException("microbatches (-m) must be >= 1, got " + microbatches);
    }
    if (chunksPerDevice < 1) {
      throw new IllegalArgumentException("chunks per device must be >= 1, got " + chunksPerDevice);
    }
    if (costs == null) {
      costs = OpCosts.UNIT;
    }
    if (memoryLimit == null) {
      memoryLimit = OptionalDouble.empty();
    }
    if (memoryLimit.isPresent() && !(memoryLimit.getAsDouble() > 0)) {
      throw new IllegalArgumentException("memory limit must be > 0, got " + memoryLimit.getAsDouble());
    }
  }

  /** Unit costs, one chunk per device, no memory limit. */
  public static ScheduleSpec of(int devices, int microbatches) {
    return new ScheduleSpec(devices, microbatches, 1, OpCosts.UNIT, null, OptionalDouble.empty());
  }

  public ScheduleSpec withCosts(OpCosts newCosts) {
    return new ScheduleSpec(devices, microbatches, chunksPerDevice, newCosts, null, memoryLimit);
  }

  public ScheduleSpec withStageCosts(StageCosts newStageCosts) {
    return new ScheduleSpec(devices, microbatches, chunksPerDevice, costs, newStageCosts, memoryLimit);
  }

  public ScheduleSpec withChunksPerDevice(int chunks) {
    return new ScheduleSpec(devices, microbatches, chunks, costs, stageCosts, memoryLimit);
  }

  public ScheduleSpec withMemoryLimit(double limit) {
    return new ScheduleSpec(devices, microbatches, chunksPerDevice, costs, stageCosts, OptionalDouble.of(limit));
  }

  /**
   * Op durations for a schedule with {@code chunks} chunks per device: the given per-stage costs
   * when they match the stage count, else the uniform costs divided by {@code chunks}.
   */
  public StageCosts stageCostsFor(int chunks) {
    int stages = devices * chunks;
    if (stageCosts != null) {
      if (stageCosts.stages() != stages) {
        throw new IllegalArgumentException(
            "per-stage costs cover " + stageCosts.stages() + " virtual stages, the schedule has " + stages);
      }
      return stageCosts;
    }
    return StageCosts.uniform(costs, stages, chunks);
  }
}
