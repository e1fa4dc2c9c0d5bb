package io.tandem.schedule;

/**
 * Shared construction of the building-block V schedules: the compacted block sets the peak. When
 * the costs break the block's unit-slot model (F, B, W unequal or comm > 0), the cost-aware greedy
 * under the same cap competes with it, and the faster one within that peak is returned.
 */
final class BlockFamily {
  private BlockFamily() {}

  static Schedule generate(String name, ScheduleSpec spec, BuildingBlock block) {
    StageCosts costs = VShape.costs(name, spec);
    int m = spec.microbatches();
    Schedule compacted = new Schedule(name, m, Placement.vShape(spec.devices()),
        BlockPlanner.plan(block, m, true), spec.costs());
    if (VShape.slotModelExact(costs)) {
      return compacted; // F = B = W and no comm: the block's unit slots are the real timing
    }
    double peak = Simulator.simulate(compacted, costs, MemoryModel.DEFAULT).maxPeakActivation();
    VCandidates pick = new VCandidates(name, spec, costs, peak);
    pick.offer(compacted);
    VGreedyScheduler.Policy greedy = new VGreedyScheduler.Policy(
        (int) Math.floor(2 * peak + 1e-9), VGreedyScheduler.Preference.BACKWARD, true, 0);
    if (greedy.capChunks() >= 2) {
      pick.offer(VGreedyScheduler.run(spec.devices(), m, costs, greedy));
    }
    return pick.best();
  }
}
