package io.tandem.schedule;

import java.util.ArrayList;
import java.util.List;

/**
 * Issue 17's table: {@code auto} (with its search) against a fixed schedule at exactly that
 * schedule's peak activation. One {@link Cell} per (p, m, fixed schedule); the standard grid is
 * p in {2, 4, 6, 8, 12, 16}, m in {p, 2p, 4p}, fixed schedule V-Min and V-Half (36 cells).
 */
public final class SearchBenchmark {
  /** Bubble margin for "strictly better" (issue 17). */
  public static final double MARGIN = 0.001;

  private SearchBenchmark() {}

  /**
   * One cell: the fixed schedule's peak and bubble, auto's at that peak, and auto's time.
   *
   * @param seconds wall time of auto's generation (candidates + both searches)
   * @param exactSeconds wall time of the exact (CP-SAT) search within {@code seconds}
   * @param provenOptimal whether auto's makespan is proven minimal at that peak (it reaches the
   *     V-shape lower bound, or CP-SAT proved it optimal)
   */
  public record Cell(int p, int m, String fixed, double peak, double fixedBubble, double autoBubble,
      double autoPeak, double seconds, double exactSeconds, boolean provenOptimal) {
    /** auto's bubble is lower by more than {@link #MARGIN}. */
    public boolean strictlyBetter() {
      return autoBubble < fixedBubble - MARGIN;
    }

    /** auto's bubble is no higher (within rounding) and its peak within the fixed one's. */
    public boolean neverWorse() {
      return autoBubble <= fixedBubble + 1e-9 && autoPeak <= peak + 1e-9;
    }
  }

  /** The standard grid's (p, m) pairs: p in {2, 4, 6, 8, 12, 16}, m in {p, 2p, 4p}. */
  public static List<int[]> grid() {
    List<int[]> out = new ArrayList<>();
    for (int p : new int[] {2, 4, 6, 8, 12, 16}) {
      for (int k : new int[] {1, 2, 4}) {
        out.add(new int[] {p, k * p});
      }
    }
    return out;
  }

  /** Measures auto against {@code fixed} at {@code spec}'s p, m and costs. */
  public static Cell measure(ScheduleSpec spec, String fixed, SearchOptions search) {
    Schedule fixedSchedule = ScheduleRegistry.generate(fixed, spec);
    SimulationResult base = Simulator.simulate(fixedSchedule,
        spec.stageCostsFor(fixedSchedule.chunksPerDevice()), MemoryModel.DEFAULT);
    StageCosts costs = spec.stageCostsFor(2);
    double peak = base.maxPeakActivation();
    long t0 = System.nanoTime();
    AutoV.Outcome outcome = new AutoV(search).search(spec.withMemoryLimit(peak));
    double seconds = (System.nanoTime() - t0) / 1e9;
    Schedule auto = outcome.schedule();
    Validator.validate(auto);
    SimulationResult r = Simulator.simulate(auto, costs, MemoryModel.DEFAULT);
    return new Cell(spec.devices(), spec.microbatches(), fixed, peak, base.bubble(), r.bubble(),
        r.maxPeakActivation(), seconds, outcome.exactSeconds(), outcome.provenOptimal());
  }
}
