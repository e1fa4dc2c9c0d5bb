package io.tandem.schedule;

/**
 * Knobs of {@code auto}'s schedule search: the random seed, a budget in op timings for the local
 * search ({@link VOrderSearch}: one evaluation re-times every op of the schedule, so a schedule
 * with {@code n} ops gets {@code budget / n} evaluations, at most {@link #MAX_EVALUATIONS}), and
 * the deterministic time of the exact CP-SAT search ({@link VCpSatSearch}, OR-Tools' machine-
 * independent work measure, about a second of one core each). Both budgets count work, not wall
 * time, so the result depends on the seed only, never on the machine or its load (unless the
 * exact search's wall-clock guard, {@link #exactWallSeconds()}, cuts it short).
 *
 * @param seed random seed of both searches
 * @param budget local search: op timings at most; 0 turns it off
 * @param exactTime exact search: deterministic seconds at most; 0 turns it off
 */
public record SearchOptions(long seed, long budget, double exactTime) {
  /** Evaluations at most, whatever the budget (small schedules converge long before). */
  public static final int MAX_EVALUATIONS = 20_000;

  /**
   * The library default: seed 1, 2e6 op timings (a fraction of a second at p=16, m=64 and p=64,
   * m=512), no exact search (the runtime and tests generate {@code auto} often).
   */
  public static final SearchOptions DEFAULT = new SearchOptions(1, 2_000_000L, 0);

  /** No search: {@code auto} returns the best building-block candidate. */
  public static final SearchOptions OFF = new SearchOptions(1, 0, 0);

  public SearchOptions {
    if (budget < 0) {
      throw new IllegalArgumentException("search budget must be >= 0, got " + budget);
    }
    if (!(exactTime >= 0) || Double.isInfinite(exactTime)) {
      throw new IllegalArgumentException("exact search time must be a finite number >= 0, got " + exactTime);
    }
  }

  /** Local search only. */
  public SearchOptions(long seed, long budget) {
    this(seed, budget, 0);
  }

  /** The same budgets with another seed. */
  public SearchOptions withSeed(long newSeed) {
    return new SearchOptions(newSeed, budget, exactTime);
  }

  /**
   * Wall-clock guard of the exact search: ten times its deterministic time plus 20 s, so that a
   * run on a loaded machine still ends; on an idle one the deterministic limit ends it first.
   */
  public double exactWallSeconds() {
    return 10 * exactTime + 20;
  }

  /** Evaluations for a schedule of {@code ops} ops. */
  int evaluationsFor(long ops) {
    if (budget == 0 || ops <= 0) {
      return 0;
    }
    return (int) Math.min(MAX_EVALUATIONS, Math.max(1, budget / ops));
  }
}
