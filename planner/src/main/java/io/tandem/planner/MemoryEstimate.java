package io.tandem.planner;

import io.tandem.schedule.CompiledSchedule;
import io.tandem.schedule.Placement;
import io.tandem.schedule.Schedule;
import java.util.List;

/**
 * Memory a device needs for a schedule and a layer split: the planner's model, public so the
 * runtime (or a test) can check a plan it runs. Activations: F stashes what B and W need, B
 * frees what only B needed and keeps the output gradient for W, W frees the rest, a fused BW
 * frees all; a recomputing stage keeps only its input from F and rebuilds its stash in B (the
 * rebuilt stash counts at that moment). The peak is taken between ops, as the runtime samples it.
 */
public final class MemoryEstimate {
  private MemoryEstimate() {}

  /**
   * Peak activation bytes of each device of {@code schedule}.
   *
   * @param boundaries stage {@code v} holds layers {@code [boundaries[v], boundaries[v+1])}
   * @param recompute per virtual stage
   */
  public static long[] activationPeaks(ModelProfile profile, Schedule schedule, List<Integer> boundaries,
      List<Boolean> recompute) {
    int[] bounds = bounds(schedule.stages(), boundaries, profile);
    if (recompute.size() != schedule.stages()) {
      throw new IllegalArgumentException("recompute flags for " + recompute.size() + " stages, schedule has "
          + schedule.stages());
    }
    boolean[] rec = new boolean[recompute.size()];
    for (int v = 0; v < rec.length; v++) {
      rec[v] = recompute.get(v);
    }
    ProfileSums sums = new ProfileSums(profile);
    CompiledSchedule order = CompiledSchedule.of(schedule);
    long[] out = new long[schedule.devices()];
    for (int d = 0; d < out.length; d++) {
      out[d] = activationPeak(sums, order.kinds(d), order.stages(d), bounds, rec);
    }
    return out;
  }

  /** Weights, gradients and optimizer state of each device ({@code weightCopies} = 2 for 2BW). */
  public static long[] staticBytes(ModelProfile profile, Placement placement, List<Integer> boundaries,
      int weightCopies) {
    int[] bounds = bounds(placement.stages(), boundaries, profile);
    long[] out = new long[placement.devices()];
    for (int v = 0; v < placement.stages(); v++) {
      for (int i = bounds[v]; i < bounds[v + 1]; i++) {
        LayerProfile l = profile.layer(i);
        out[placement.device(v)] += l.staticBytes() + (long) (weightCopies - 1) * l.parameterBytes();
      }
    }
    return out;
  }

  private static int[] bounds(int stages, List<Integer> boundaries, ModelProfile profile) {
    if (boundaries.size() != stages + 1 || boundaries.get(0) != 0
        || boundaries.get(stages) != profile.numLayers()) {
      throw new IllegalArgumentException("boundaries " + boundaries + " do not split " + profile.numLayers()
          + " layers into " + stages + " stages");
    }
    int[] b = new int[boundaries.size()];
    for (int i = 0; i < b.length; i++) {
      b[i] = boundaries.get(i);
      if (i > 0 && b[i] <= b[i - 1]) {
        throw new IllegalArgumentException("boundaries must increase: " + boundaries);
      }
    }
    return b;
  }

  /** The most activation bytes held between two ops of one device's list. */
  static long activationPeak(ProfileSums sums, int[] kinds, int[] stagesOfOps, int[] bounds, boolean[] rec) {
    long held = 0;
    long best = 0;
    for (int i = 0; i < kinds.length; i++) {
      int v = stagesOfOps[i];
      int from = bounds[v];
      int to = bounds[v + 1];
      int kind = kinds[i];
      if (rec[v]) {
        long in = sums.inputBytes(from);
        if (kind == CompiledSchedule.F) {
          held += in;
        } else if (kind == CompiledSchedule.W) {
          held -= sums.wFromForward(from, to) + sums.wFromBackward(from, to);
        } else {
          long wf = sums.wFromForward(from, to);
          long wb = sums.wFromBackward(from, to);
          best = Math.max(best, held + sums.bOnly(from, to) + wf + wb);
          held += kind == CompiledSchedule.B ? wf + wb - in : -in;
        }
      } else {
        if (kind == CompiledSchedule.F) {
          held += sums.afterForward(from, to);
        } else if (kind == CompiledSchedule.B) {
          held += sums.wFromBackward(from, to) - sums.bOnly(from, to);
        } else if (kind == CompiledSchedule.W) {
          held -= sums.wFromForward(from, to) + sums.wFromBackward(from, to);
        } else {
          held -= sums.afterForward(from, to);
        }
      }
      best = Math.max(best, held);
    }
    return best;
  }
}
