package io.tandem.schedule;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * PipeDream-2BW (Narayanan et al., 2021), steady state: 1F1B order with fused backwards and no
 * flush between weight updates. A device makes a new weight version after the backward of every
 * {@code p}-th microbatch (microbatches {@code kp .. kp+p-1} form update {@code k}: the least
 * batch for which two versions suffice, the paper's {@code m >= d}). Each forward uses the
 * newest version on its device when it runs; its backward uses the same, stashed, version. So at
 * most two versions are live per device: the newest and the one in-flight microbatches still
 * need. The versions are in {@link Schedule#weightVersions()}.
 *
 * <p>The {@code m} microbatches are a window of the endless pipeline; with {@code m} covering
 * several updates the bubble is the flush-free {@code (p-1)/(m+p-1)} instead of 1F1B's
 * per-update flush.
 */
public final class PipeDream2BW implements ScheduleGenerator {
  public static final String NAME = "2bw";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "PipeDream-2BW: 1F1B without flush, new weights every p microbatches, 2 versions";
  }

  @Override
  public Schedule generate(ScheduleSpec spec) {
    int p = spec.devices();
    int m = spec.microbatches();
    List<List<Op>> ops = new ArrayList<>(p);
    Map<Op, Integer> versions = new HashMap<>();
    for (int d = 0; d < p; d++) {
      List<Op> list = OneFOneB.deviceOrder(d, p, m, d, false);
      int[] versionOfMb = new int[m];
      int backwardsDone = 0;
      for (Op op : list) {
        if (op.kind() == OpKind.F) {
          versionOfMb[op.microbatch()] = backwardsDone / p;
        } else {
          backwardsDone++;
        }
        versions.put(op, versionOfMb[op.microbatch()]);
      }
      ops.add(list);
    }
    return new Schedule(NAME, m, Placement.linear(p), ops, spec.costs(), versions);
  }

  /** The weight update interval in microbatches for {@code p} devices. */
  public static int updateInterval(int devices) {
    return devices;
  }
}
