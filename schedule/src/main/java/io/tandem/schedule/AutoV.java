package io.tandem.schedule;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code auto}: the Controllable Memory paper's generator. Given a peak-activation limit
 * ({@link ScheduleSpec#memoryLimit()}, DESIGN.md units; default {@code p}, the memory of 1F1B)
 * it builds V-shape candidates and returns the one with the least bubble under the spec's costs
 * whose peak stays within the limit:
 *
 * <ul>
 *   <li>the V-ZB, V-Half and V-Min schedules themselves;
 *   <li>building blocks ({@link BuildingBlock#family}): per-device offsets of F/B within a
 *       repeating interval, repeated over the microbatches, compacted and squeezed, with W's in
 *       the free slots ({@link BlockPlanner});
 *   <li>the cost-aware greedy ({@link VGreedyScheduler}) under a ladder of caps up to the limit.
 * </ul>
 *
 * The candidate set only grows with the limit and the choice is the best within it, so a larger
 * limit never gives a larger bubble, and at the V-Min / V-Half / V-ZB peaks {@code auto} is at
 * least as good as those schedules. The search stops as soon as a candidate reaches the makespan
 * no V schedule can beat ({@link VShape#makespanLowerBound}); that keeps both properties.
 *
 * <p>Then, unless the bound is reached, a seeded local search ({@link VOrderSearch}, knobs in
 * {@link SearchOptions}) reorders the best candidate's ops under the same limit, and an exact
 * CP-SAT search ({@link VCpSatSearch}, when {@link SearchOptions#exactTime()} is above 0 and the
 * OR-Tools natives load) minimises the makespan warm-started from the best so far. A result
 * replaces the candidate only when the {@link Simulator} finds it strictly faster within the
 * limit, so the searches never make {@code auto} worse; both are deterministic for a seed.
 */
public final class AutoV implements ScheduleGenerator {
  public static final String NAME = "auto";

  private final SearchOptions search;

  /** {@code auto} with the default search ({@link SearchOptions#DEFAULT}). */
  public AutoV() {
    this(SearchOptions.DEFAULT);
  }

  /** {@code auto} with the given search seed and budget ({@link SearchOptions#OFF}: no search). */
  public AutoV(SearchOptions search) {
    this.search = search;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "auto (Controllable Memory): best V-shape schedule within --memory-limit (default p)";
  }

  @Override
  public Schedule generate(ScheduleSpec spec) {
    return search(spec).schedule();
  }

  /**
   * What {@code auto} found and what is known about it.
   *
   * @param schedule the chosen schedule
   * @param makespanLowerBound no V-shape schedule obeying the search's rules is faster within the
   *     limit: {@link VShape#makespanLowerBound}, raised by the exact search's proven bound when
   *     the costs are whole ticks
   * @param provenOptimal whether the schedule's makespan reaches that bound
   * @param exactSeconds wall time of the exact (CP-SAT) search, 0 when it did not run
   * @param exactStoppedByClock whether the exact search's wall-clock guard ({@link
   *     SearchOptions#exactWallSeconds}) ended it before its deterministic budget: the one case
   *     where the same seed may give another schedule
   */
  public record Outcome(Schedule schedule, double makespanLowerBound, boolean provenOptimal, double exactSeconds,
      boolean exactStoppedByClock) {}

  /** Whether {@code exact} ended at the wall-clock guard rather than at its deterministic budget or a proof. */
  static boolean stoppedByClock(VCpSatSearch.Result exact, SearchOptions search) {
    return !exact.optimal() && exact.deterministicSeconds() < 0.99 * search.exactTime()
        && exact.seconds() >= 0.95 * search.exactWallSeconds();
  }

  /** As {@link #generate}, with the lower bound and the exact search's time. */
  public Outcome search(ScheduleSpec spec) {
    int p = spec.devices();
    int m = spec.microbatches();
    double limit = spec.memoryLimit().orElse(p);
    if (limit < 1) {
      throw new IllegalArgumentException(
          "auto needs a memory limit >= 1 (one microbatch's activations per device), got " + limit);
    }
    StageCosts costs = VShape.costs(NAME, spec);
    VCandidates pick = new VCandidates(NAME, spec, costs, limit);
    double bound = VShape.makespanLowerBound(p, m, costs);
    for (Candidate candidate : candidates(spec, costs, limit)) {
      candidate.offerTo(pick);
      if (pick.reaches(bound)) {
        break; // no V schedule is faster: the rest cannot win
      }
    }
    double exactSeconds = 0;
    boolean stoppedByClock = false;
    if (pick.found() && !pick.reaches(bound)) {
      int cap = (int) Math.floor(2 * limit + 1e-9);
      VOrderSearch.Result searched = VOrderSearch.improve(p, m, costs, pick.best().ops(), cap, search);
      if (searched != null) {
        pick.offer(searched.ops()); // re-timed by the Simulator; kept only when faster within the limit
      }
      if (search.exactTime() > 0 && !pick.reaches(bound)) {
        VCpSatSearch.Result exact = VCpSatSearch.solve(p, m, costs, pick.best().ops(), cap, search.seed(),
            search.exactTime(), search.exactWallSeconds());
        if (exact != null) {
          exactSeconds = exact.seconds();
          stoppedByClock = stoppedByClock(exact, search);
          if (exact.improved()) {
            pick.offer(exact.ops()); // the same rule: re-timed, kept only when faster within the limit
          }
          if (exact.exactTicks()) {
            bound = Math.max(bound, exact.lowerBound());
          }
        }
      }
    }
    Schedule best = pick.best();
    return new Outcome(best, bound, pick.reaches(bound), exactSeconds, stoppedByClock);
  }

  /** One candidate construction, built only when offered. */
  private interface Candidate {
    void offerTo(VCandidates pick);
  }

  /**
   * The candidates in evaluation order, the most promising first (so the lower-bound stop comes
   * early): V-ZB, V-Half, V-Min, the block family, the greedy cap ladder. Which candidates exist
   * depends on the limit only through limit-independent thresholds, so the set grows with it.
   */
  private static List<Candidate> candidates(ScheduleSpec spec, StageCosts costs, double limit) {
    int p = spec.devices();
    int m = spec.microbatches();
    List<Candidate> out = new ArrayList<>();
    for (ScheduleGenerator g : List.of(new VZb(), new VHalf(), new VMin())) {
      out.add(pick -> pick.offer(g.generate(spec)));
    }
    for (BuildingBlock block : BuildingBlock.family(p)) {
      out.add(pick -> {
        // Screening by a limit-independent estimate keeps the candidate set growing with the limit.
        if (BlockPlanner.roughPeak(block, m) <= limit + 0.5) {
          pick.offer(BlockPlanner.plan(block, m, true));
        }
      });
    }
    for (int cap : capLadder(p)) {
      if (cap <= 2 * limit + 1e-9) {
        for (VGreedyScheduler.Preference pref : VGreedyScheduler.Preference.values()) {
          out.add(pick -> pick.offer(
              VGreedyScheduler.run(p, m, costs, new VGreedyScheduler.Policy(cap, pref, true, 0))));
        }
      }
    }
    return out;
  }

  /** Greedy caps in chunk activations: 2, then about 2p * k / 6 for k = 1..6 (2p = 1F1B memory). */
  static List<Integer> capLadder(int p) {
    List<Integer> caps = new ArrayList<>();
    caps.add(2);
    for (int k = 1; k <= 6; k++) {
      int cap = Math.max(2, (2 * p * k + 5) / 6);
      if (!caps.contains(cap)) {
        caps.add(cap);
      }
    }
    return caps;
  }
}
