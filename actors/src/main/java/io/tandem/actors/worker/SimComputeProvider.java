package io.tandem.actors.worker;

import io.tandem.schedule.Schedule;
import io.tandem.schedule.StageCosts;
import java.util.concurrent.Executors;

/** Devices of the simulated-cost backend: each op waits its schedule cost times {@code opMillis}. */
public final class SimComputeProvider implements ComputeProvider {
  private final StageCosts costs;
  private final double opMillis;

  /** @param costs per-stage costs, or null to take the schedule's uniform costs */
  public SimComputeProvider(StageCosts costs, double opMillis) {
    this.costs = costs;
    this.opMillis = opMillis;
  }

  @Override
  public DeviceCompute open(int device, Schedule schedule) {
    StageCosts c = costs != null ? costs
        : StageCosts.uniform(schedule.costs(), schedule.stages(), schedule.chunksPerDevice());
    return new DeviceCompute(new SimStageCompute(c, opMillis),
        Executors.newSingleThreadExecutor(r -> new Thread(r, "sim-device-" + device)));
  }

  @Override
  public long tokensPerStep() {
    return 0;
  }
}
