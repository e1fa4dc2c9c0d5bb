package io.tandem.actors.worker;

import io.tandem.schedule.Schedule;
import io.tandem.schedule.StageCosts;
import java.util.concurrent.Executors;

/** Devices of the simulated-cost backend: each op waits its schedule cost times {@code opMillis}. */
public final class SimComputeProvider implements ComputeProvider {
  private final StageCosts costs;
  private final double opMillis;
  private final long gradientBytes;

  /** @param costs per-stage costs, or null to take the schedule's uniform costs */
  public SimComputeProvider(StageCosts costs, double opMillis) {
    this(costs, opMillis, 0);
  }

  /**
   * @param costs per-stage costs, or null to take the schedule's uniform costs
   * @param gradientBytes gradient bytes each device holds, for a data-parallel all-reduce that moves real bytes
   */
  public SimComputeProvider(StageCosts costs, double opMillis, long gradientBytes) {
    if (gradientBytes < 0 || gradientBytes / 4 > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("sim gradient bytes must be in [0, 8 GiB], got " + gradientBytes);
    }
    this.costs = costs;
    this.opMillis = opMillis;
    this.gradientBytes = gradientBytes;
  }

  @Override
  public DeviceCompute open(int device, Schedule schedule) {
    StageCosts c = costs != null ? costs
        : StageCosts.uniform(schedule.costs(), schedule.stages(), schedule.chunksPerDevice());
    return new DeviceCompute(new SimStageCompute(c, opMillis,
        schedule.placement().stagesOf(device % schedule.devices()), gradientBytes),
        Executors.newSingleThreadExecutor(r -> new Thread(r, "sim-device-" + device)));
  }

  @Override
  public long tokensPerStep() {
    return 0;
  }
}
