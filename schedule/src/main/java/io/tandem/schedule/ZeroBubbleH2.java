package io.tandem.schedule;

/**
 * ZB-H2, the Zero Bubble paper's second handcrafted schedule (Qi et al., 2024): split backward,
 * and every device may hold {@code 2p} microbatches, so extra warm-up forwards fill the wait for
 * the first backward and deferred {@code W}s fill the tail. Built by {@link GreedyScheduler} from
 * the spec's costs (a ready B first, then F within the memory limit, else a deferred W), so it
 * adapts to unequal costs and comm. With equal costs and no comm it reaches ZB-H1's
 * {@code (p-1)/(3m+p-1)}, which no one-chunk schedule can beat (device {@code p-1} waits for
 * {@code p-1} forwards); with unequal costs or comm it is clearly below ZB-H1. Linear
 * placement; peak at most {@code 2p}.
 */
public final class ZeroBubbleH2 implements ScheduleGenerator {
  public static final String NAME = "zb-h2";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "Zero Bubble H2: up to 2p in flight (peak 2p), greedy on the given costs, W deferred";
  }

  @Override
  public Schedule generate(ScheduleSpec spec) {
    int p = spec.devices();
    int[] limit = new int[p];
    for (int d = 0; d < p; d++) {
      limit[d] = 2 * p;
    }
    return new Schedule(NAME, spec.microbatches(), Placement.linear(p),
        GreedyScheduler.build(Placement.linear(p), spec.microbatches(), spec.stageCostsFor(1), limit),
        spec.costs());
  }
}
