package io.tandem.schedule;

import java.util.ArrayList;
import java.util.List;

/**
 * ZB-H1, the Zero Bubble paper's first handcrafted schedule (Qi et al., 2024): 1F1B with the
 * backward split into {@code B} and {@code W}, where device {@code d} runs each {@code W}
 * {@code d} microbatches late. The backward critical path then carries only {@code B}s, and the
 * postponed {@code W}s fill the cool-down that 1F1B leaves idle: bubble {@code (p-1)(F+B-W)},
 * i.e. {@code (p-1)/(3m+p-1)} with equal costs and {@code m >= p}. Each device holds at most
 * {@code (p-1-d) + 1 + d = p} microbatches, 1F1B's peak. Linear placement.
 *
 * <p>Device {@code d}: {@code min(p-1-d, m)} warm-up forwards; then for each microbatch
 * {@code j}: the next forward (while any is left), {@code B(j)}, and {@code W(j-d)}; then the
 * remaining {@code W}s.
 */
public final class ZeroBubbleH1 implements ScheduleGenerator {
  public static final String NAME = "zb-h1";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "Zero Bubble H1: 1F1B memory (peak p), W postponed d microbatches on device d";
  }

  @Override
  public Schedule generate(ScheduleSpec spec) {
    int p = spec.devices();
    int m = spec.microbatches();
    List<List<Op>> ops = new ArrayList<>(p);
    for (int d = 0; d < p; d++) {
      List<Op> list = new ArrayList<>(3 * m);
      int warmup = Math.min(p - 1 - d, m);
      int nextF = 0;
      int nextW = 0;
      for (; nextF < warmup; nextF++) {
        list.add(Op.f(nextF, d));
      }
      for (int j = 0; j < m; j++) {
        if (nextF < m) {
          list.add(Op.f(nextF++, d));
        }
        list.add(Op.b(j, d));
        if (j - d >= 0) {
          list.add(Op.w(nextW++, d));
        }
      }
      while (nextW < m) {
        list.add(Op.w(nextW++, d));
      }
      ops.add(list);
    }
    return new Schedule(NAME, m, Placement.linear(p), ops, spec.costs());
  }
}
