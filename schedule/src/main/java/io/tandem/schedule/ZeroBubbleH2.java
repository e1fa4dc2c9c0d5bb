package io.tandem.schedule;

/**
 * ZB-H2, the Zero Bubble paper's second handcrafted schedule (Qi et al., 2024): like ZB-H1 but
 * device {@code d} may hold {@code 2(p-d)} microbatches (peak {@code 2p}), so extra warm-up
 * forwards fill the bubble before the first backward arrives and deferred {@code W}s fill the
 * tail: bubble at most ZB-H1's, close to zero for {@code m >= p} with equal costs. Built by
 * {@link GreedyScheduler} with the spec's costs; linear placement.
 */
public final class ZeroBubbleH2 implements ScheduleGenerator {
  public static final String NAME = "zb-h2";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "Zero Bubble H2: up to 2p in flight (peak 2p), W deferred; near-zero bubble";
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
