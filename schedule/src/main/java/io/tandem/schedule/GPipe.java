package io.tandem.schedule;

import java.util.ArrayList;
import java.util.List;

/**
 * GPipe (Huang et al., 2019): every device runs the forward passes of all microbatches, then
 * their fused backward passes ({@code BW}) in the same microbatch order, then the step flushes.
 * Linear placement; peak activation {@code m} on every device; bubble {@code (p-1)/(m+p-1)}
 * with uniform costs.
 */
public final class GPipe implements ScheduleGenerator {
  public static final String NAME = "gpipe";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "GPipe: all forwards, then all fused backwards; peak activation m";
  }

  @Override
  public Schedule generate(ScheduleSpec spec) {
    int p = spec.devices();
    int m = spec.microbatches();
    List<List<Op>> ops = new ArrayList<>(p);
    for (int d = 0; d < p; d++) {
      List<Op> list = new ArrayList<>(2 * m);
      for (int mb = 0; mb < m; mb++) {
        list.add(Op.f(mb, d));
      }
      for (int mb = 0; mb < m; mb++) {
        list.add(Op.bw(mb, d));
      }
      ops.add(list);
    }
    return new Schedule(NAME, m, Placement.linear(p), ops, spec.costs());
  }
}
