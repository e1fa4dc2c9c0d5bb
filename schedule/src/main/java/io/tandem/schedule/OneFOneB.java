package io.tandem.schedule;

import java.util.ArrayList;
import java.util.List;

/**
 * 1F1B, PipeDream-Flush (Narayanan et al., 2021): device {@code d} runs {@code min(p-1-d, m)}
 * warm-up forwards, then alternates one forward and one fused backward ({@code BW}), then drains
 * the remaining backwards and flushes. Linear placement; device {@code d} holds at most
 * {@code min(p-d, m)} microbatches; bubble {@code (p-1)/(m+p-1)} with uniform costs and no comm.
 */
public final class OneFOneB implements ScheduleGenerator {
  public static final String NAME = "1f1b";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "1F1B (PipeDream-Flush): warm-up forwards, then one forward one backward; peak p";
  }

  @Override
  public Schedule generate(ScheduleSpec spec) {
    int p = spec.devices();
    int m = spec.microbatches();
    List<List<Op>> ops = new ArrayList<>(p);
    for (int d = 0; d < p; d++) {
      ops.add(deviceOrder(d, p, m, d, false));
    }
    return new Schedule(NAME, m, Placement.linear(p), ops, spec.costs());
  }

  /**
   * The 1F1B op order of device {@code d} over {@code m} microbatches on virtual stage
   * {@code stage}; with {@code split} each backward is {@code B} immediately followed by its
   * {@code W}, else one {@code BW}.
   */
  static List<Op> deviceOrder(int d, int p, int m, int stage, boolean split) {
    int warmup = Math.min(p - 1 - d, m);
    List<Op> list = new ArrayList<>(3 * m);
    int nextF = 0;
    int nextB = 0;
    for (; nextF < warmup; nextF++) {
      list.add(Op.f(nextF, stage));
    }
    while (nextB < m) {
      if (nextF < m) {
        list.add(Op.f(nextF++, stage));
      }
      if (split) {
        list.add(Op.b(nextB, stage));
        list.add(Op.w(nextB, stage));
      } else {
        list.add(Op.bw(nextB, stage));
      }
      nextB++;
    }
    return list;
  }
}
