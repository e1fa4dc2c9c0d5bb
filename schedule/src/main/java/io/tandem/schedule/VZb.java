package io.tandem.schedule;

/**
 * V-ZB (Controllable Memory paper, Qi et al. 2024): V-shape placement at the memory of 1F1B
 * (peak {@code p}) with near-zero bubble. Built by {@link VGreedyScheduler} under a cap of
 * {@code 2p} chunk activations: warm-up forwards until the first backward can run, then each
 * free device runs a ready B, else an F that fits, else fills the wait with a pending W. Several
 * preference variants are built and the one the {@link Simulator} finds fastest under the
 * spec's costs wins (the search stops early once one reaches the lower bound of every V schedule,
 * {@link VShape#makespanLowerBound}). With F=B=W it reaches the bound {@code (p-1)/(6m+p-1)} (device {@code p-1}
 * waits for the first microbatch and nothing else).
 */
public final class VZb implements ScheduleGenerator {
  public static final String NAME = "v-zb";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "V-ZB (Controllable Memory): V-shape, peak p like 1F1B, near-zero bubble";
  }

  @Override
  public Schedule generate(ScheduleSpec spec) {
    StageCosts costs = VShape.costs(NAME, spec);
    VCandidates pick = new VCandidates(NAME, spec, costs, spec.devices());
    double bound = VShape.makespanLowerBound(spec.devices(), spec.microbatches(), costs);
    for (VGreedyScheduler.Policy policy : policies(2 * spec.devices())) {
      pick.offer(VGreedyScheduler.run(spec.devices(), spec.microbatches(), costs, policy));
      if (pick.reaches(bound)) {
        break; // optimal: no variant can do better
      }
    }
    return pick.best();
  }

  /**
   * The greedy variants tried at a cap of {@code capChunks} chunk activations, the one that most
   * often wins with F=B=W first (alternating F and B, chunk 0's B first).
   */
  static java.util.List<VGreedyScheduler.Policy> policies(int capChunks) {
    java.util.List<VGreedyScheduler.Policy> out = new java.util.ArrayList<>();
    out.add(new VGreedyScheduler.Policy(capChunks, VGreedyScheduler.Preference.ALTERNATE, false, 0));
    for (VGreedyScheduler.Preference pref : VGreedyScheduler.Preference.values()) {
      for (boolean chunk1First : new boolean[] {true, false}) {
        if (pref != VGreedyScheduler.Preference.ALTERNATE || chunk1First) {
          out.add(new VGreedyScheduler.Policy(capChunks, pref, chunk1First, 0));
        }
      }
    }
    return out;
  }
}
