package io.tandem.schedule;

/**
 * V-Min (Controllable Memory paper): V-shape with about a third of 1F1B's activation memory
 * (peak {@code (p+4)/3}, rounded down) at a bubble of about {@code 2p/(3m)}. Device {@code i}'s
 * building block puts its passes at slots {@code i, 2p-1-i, 2p+g+i, 4p+g-1-i} ({@code g = 2} when
 * {@code 3 | p} so the slots stay distinct modulo 6), so each microbatch flows through the V
 * without waiting; {@link BlockPlanner} repeats, compacts warm-up and cool-down and squeezes it.
 * The cost-aware greedy under the same cap competes with it under the spec's costs; the faster
 * one within the block's peak is returned.
 */
public final class VMin implements ScheduleGenerator {
  public static final String NAME = "v-min";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "V-Min (Controllable Memory): V-shape, peak about p/3, bubble about 2p/3m";
  }

  @Override
  public Schedule generate(ScheduleSpec spec) {
    return BlockFamily.generate(NAME, spec, BuildingBlock.vMin(spec.devices()));
  }
}
