package io.tandem.schedule;

/**
 * V-Half (Controllable Memory paper): V-shape with half of 1F1B's activation memory (peak
 * {@code (p+2)/2}, rounded down) at a bubble of about {@code p/(2m)}. Device {@code i}'s building
 * block puts its passes at slots {@code 2i, 3p-2-i, 3p+g+2i-1, 6p+g-2-i} ({@code g = 3} for even
 * {@code p}); {@link BlockPlanner} repeats, compacts and squeezes it, and variants compete under
 * the spec's costs as in {@link VMin}.
 */
public final class VHalf implements ScheduleGenerator {
  public static final String NAME = "v-half";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "V-Half (Controllable Memory): V-shape, peak about p/2, bubble about p/2m";
  }

  @Override
  public Schedule generate(ScheduleSpec spec) {
    return BlockFamily.generate(NAME, spec, BuildingBlock.vHalf(spec.devices()));
  }
}
