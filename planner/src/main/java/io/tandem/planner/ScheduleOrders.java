package io.tandem.planner;

import io.tandem.schedule.CompiledSchedule;
import io.tandem.schedule.Op;
import io.tandem.schedule.OpCosts;
import io.tandem.schedule.Schedule;
import io.tandem.schedule.ScheduleRegistry;
import io.tandem.schedule.ScheduleSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * The op orders the planner scores, generated with uniform costs exactly as the runtime
 * generates them from a plan's schedule name (so the simulated plan is the one that runs), and
 * kept in a bounded least-recently-used cache: one planning run asks for the same
 * (family, devices, microbatches, limit) many times, and a re-plan after a plan reuses them.
 */
final class ScheduleOrders {
  private static final int CAPACITY = 512;

  /** A generated order, flattened for timing, and its per-device peak activation (DESIGN.md units). */
  record Order(Schedule schedule, CompiledSchedule compiled, double[] peakUnits) {}

  private record Key(String family, int devices, int microbatches, double limit) {}

  private final Map<Key, Order> cache = new LinkedHashMap<>(64, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<Key, Order> eldest) {
      return size() > CAPACITY;
    }
  };

  /**
   * The order of {@code family} for {@code p} devices and {@code m} microbatches ({@code limit}
   * is auto's peak-activation limit, ignored by the others). Generator refusals propagate as
   * IllegalArgumentException.
   */
  synchronized Order get(Family family, int p, int m, double limit) {
    Key key = new Key(family.name(), p, m, family.name().equals("auto") ? limit : 0);
    Order o = cache.get(key);
    if (o == null) {
      o = generate(family, p, m, limit);
      cache.put(key, o);
    }
    return o;
  }

  private static Order generate(Family family, int p, int m, double limit) {
    ScheduleSpec spec = new ScheduleSpec(p, m, family.chunks(), OpCosts.UNIT, null,
        family.name().equals("auto") ? OptionalDouble.of(limit) : OptionalDouble.empty());
    Schedule s = ScheduleRegistry.generate(family.name(), spec);
    return new Order(s, CompiledSchedule.of(s), peakUnits(s));
  }

  /** Peak held activation per device: F adds 1/c, W or BW frees it (DESIGN.md's model). */
  static double[] peakUnits(Schedule s) {
    double[] peak = new double[s.devices()];
    for (int d = 0; d < s.devices(); d++) {
      long held = 0;
      long best = 0;
      List<Op> ops = s.opsOf(d);
      for (Op op : ops) {
        switch (op.kind()) {
          case F -> held++;
          case W, BW -> held--;
          default -> { }
        }
        best = Math.max(best, held);
      }
      peak[d] = (double) best / s.chunksPerDevice();
    }
    return peak;
  }
}
