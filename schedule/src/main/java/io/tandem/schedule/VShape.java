package io.tandem.schedule;

/**
 * Index arithmetic of the V-shape placement shared by the V generators: device {@code d} holds
 * chunk 0 = virtual stage {@code d} and chunk 1 = virtual stage {@code 2p-1-d}.
 */
final class VShape {
  private VShape() {}

  /** Virtual stage of {@code chunk} (0 or 1) on {@code device}. */
  static int stage(int devices, int device, int chunk) {
    return chunk == 0 ? device : 2 * devices - 1 - device;
  }

  /** Device holding virtual stage {@code v}. */
  static int device(int devices, int v) {
    return v < devices ? v : 2 * devices - 1 - v;
  }

  /** The op costs of a V-shape schedule for {@code spec}, checked to cover 2p stages. */
  static StageCosts costs(String name, ScheduleSpec spec) {
    StageCosts costs = spec.stageCostsFor(2);
    if (costs.stages() != 2 * spec.devices()) {
      throw new IllegalArgumentException(
          name + " needs costs for 2p = " + 2 * spec.devices() + " virtual stages, got " + costs.stages());
    }
    return costs;
  }

  /** True when every F, B and W takes the same time and comm is 0: unit slots are exact. */
  static boolean slotModelExact(StageCosts costs) {
    double unit = costs.f(0);
    for (int v = 0; v < costs.stages(); v++) {
      if (costs.f(v) != unit || costs.b(v) != unit || costs.w(v) != unit) {
        return false;
      }
    }
    return costs.comm() == 0;
  }

  /**
   * A makespan no V-shape schedule can beat: device {@code d} cannot start before the first
   * microbatch's forward has crossed stages {@code 0..d-1}, and then has all its own work to do.
   */
  static double makespanLowerBound(int p, int m, StageCosts costs) {
    double bound = 0;
    double arrival = 0;
    for (int d = 0; d < p; d++) {
      int other = 2 * p - 1 - d;
      double busy = m * (costs.f(d) + costs.b(d) + costs.w(d) + costs.f(other) + costs.b(other) + costs.w(other));
      bound = Math.max(bound, arrival + busy);
      arrival += costs.f(d) + costs.comm();
    }
    return bound;
  }
}
