package io.tandem.schedule;

import java.util.List;

/**
 * Picks, among candidate V-shape op orders, the one the {@link Simulator} finds fastest under the
 * real (possibly per-stage) costs, among those whose peak activation stays within a limit. Ties
 * keep the earlier candidate, so the choice is deterministic.
 */
final class VCandidates {
  private static final double EPS = 1e-9;

  private final String name;
  private final ScheduleSpec spec;
  private final StageCosts costs;
  private final double peakLimit;
  private Schedule best;
  private double bestMakespan = Double.POSITIVE_INFINITY;
  private double bestPeak;

  /** Collects candidates for {@code spec} named {@code name}, keeping those with peak <= limit. */
  VCandidates(String name, ScheduleSpec spec, StageCosts costs, double peakLimit) {
    this.name = name;
    this.spec = spec;
    this.costs = costs;
    this.peakLimit = peakLimit;
  }

  /** Simulates {@code ops} and keeps it when within the limit and faster than the best so far. */
  void offer(List<List<Op>> ops) {
    Schedule s = new Schedule(name, spec.microbatches(), Placement.vShape(spec.devices()), ops, spec.costs());
    offer(s);
  }

  /**
   * Offers a greedy construction, whose tracked makespan and peak are those the simulator
   * computes for its order (the greedy starts every op as early as its inputs and device allow).
   */
  void offer(VGreedyScheduler.Result greedy) {
    double peak = greedy.peakChunks() / 2.0;
    if (peak <= peakLimit + EPS && greedy.makespan() < bestMakespan - EPS) {
      best = new Schedule(name, spec.microbatches(), Placement.vShape(spec.devices()), greedy.ops(), spec.costs());
      bestMakespan = greedy.makespan();
      bestPeak = peak;
    }
  }

  /** As {@link #offer(List)}, for a ready schedule (renamed to this generator's name). */
  void offer(Schedule schedule) {
    Schedule s = schedule.name().equals(name) ? schedule
        : new Schedule(name, schedule.microbatches(), schedule.placement(), schedule.ops(), schedule.costs());
    SimulationResult r = Simulator.simulate(s, costs, MemoryModel.DEFAULT);
    double peak = r.maxPeakActivation();
    if (peak <= peakLimit + EPS && r.makespan() < bestMakespan - EPS) {
      best = s;
      bestMakespan = r.makespan();
      bestPeak = peak;
    }
  }

  /** Whether the best candidate already reaches {@code lowerBound}, so no other can beat it. */
  boolean reaches(double lowerBound) {
    return bestMakespan <= lowerBound + EPS;
  }

  /** Whether some candidate fitted the limit. */
  boolean found() {
    return best != null;
  }

  /** The best candidate; fails when none fitted the limit. */
  Schedule best() {
    if (best == null) {
      throw new IllegalArgumentException(
          name + ": no schedule fits a peak activation of " + peakLimit + " for p=" + spec.devices()
              + ", m=" + spec.microbatches());
    }
    return best;
  }

  double bestPeak() {
    return bestPeak;
  }
}
