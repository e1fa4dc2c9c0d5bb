package io.tandem.schedule;

/**
 * Knobs of {@code auto}'s schedule search ({@link VOrderSearch}): the random seed and a budget in
 * op timings (one evaluation re-times every op of the schedule, so a schedule with {@code n} ops
 * gets {@code budget / n} evaluations, at most {@link #MAX_EVALUATIONS}). The budget counts work,
 * not time, so the result depends on the seed only, never on the machine or its load.
 *
 * @param seed random seed of the search
 * @param budget op timings at most; 0 turns the search off
 */
public record SearchOptions(long seed, long budget) {
  /** Evaluations at most, whatever the budget (small schedules converge long before). */
  public static final int MAX_EVALUATIONS = 20_000;

  /** The default: seed 1, 2e6 op timings (a fraction of a second at p=16, m=64 and p=64, m=512). */
  public static final SearchOptions DEFAULT = new SearchOptions(1, 2_000_000L);

  /** No search: {@code auto} returns the best building-block candidate. */
  public static final SearchOptions OFF = new SearchOptions(1, 0);

  public SearchOptions {
    if (budget < 0) {
      throw new IllegalArgumentException("search budget must be >= 0, got " + budget);
    }
  }

  /** The same budget with another seed. */
  public SearchOptions withSeed(long newSeed) {
    return new SearchOptions(newSeed, budget);
  }

  /** Evaluations for a schedule of {@code ops} ops. */
  int evaluationsFor(long ops) {
    if (budget == 0 || ops <= 0) {
      return 0;
    }
    return (int) Math.min(MAX_EVALUATIONS, Math.max(1, budget / ops));
  }
}
