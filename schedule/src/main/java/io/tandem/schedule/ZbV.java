package io.tandem.schedule;

/**
 * ZB-V (Zero Bubble paper, Qi et al. 2024, section 6): the V-shape zero-bubble schedule at 1F1B
 * memory (peak {@code p}). One fixed greedy construction, {@link VGreedyScheduler} with a cap of
 * {@code 2p} chunk activations: a free device runs a ready B (chunk 1's first), else a ready F
 * that fits (chunk 1's first), else a pending W whenever it would otherwise wait. Unlike
 * {@code v-zb} it does not search variants, so it shows what the plain rule gives.
 */
public final class ZbV implements ScheduleGenerator {
  public static final String NAME = "zb-v";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "ZB-V (Zero Bubble): V-shape, B first, W fills waits; peak p";
  }

  @Override
  public Schedule generate(ScheduleSpec spec) {
    StageCosts costs = VShape.costs(NAME, spec);
    VGreedyScheduler.Policy policy = new VGreedyScheduler.Policy(
        2 * spec.devices(), VGreedyScheduler.Preference.BACKWARD, true, 0);
    return new Schedule(NAME, spec.microbatches(), Placement.vShape(spec.devices()),
        VGreedyScheduler.run(spec.devices(), spec.microbatches(), costs, policy).ops(), spec.costs());
  }
}
