package io.tandem.schedule;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns a {@link BuildingBlock} repeated over the microbatches into a per-device op order, in
 * unit slots (every pass one slot), the way the Controllable Memory paper builds V-Min and
 * V-Half:
 *
 * <ol>
 *   <li>repeat the block once per microbatch (slot {@code offset + 6 * mb});
 *   <li>warm-up and cool-down compaction: outside the steady state, move each pass to the
 *       earliest free slot its inputs allow, provided no device's activation peak rises above the
 *       block's own peak (once with W's in free slots, once with W's implicit);
 *   <li>squeeze in slots (every pass as early as its inputs and its device allow);
 *   <li>put every W into the first free slot after its B, chunk 1's W's first.
 * </ol>
 *
 * The order is what the generator emits; the {@link Simulator} then times it with real costs.
 * Pass types: 0 chunk-0 F, 1 chunk-1 F, 2 chunk-1 B, 3 chunk-0 B, 4 W.
 */
final class BlockPlanner {
  private final int p;
  private final int m;
  /** slots[d][type][i]: slot of microbatch i's pass (types 0..3) or of the i-th W (type 4). */
  private final int[][][] slots;
  private boolean withW;

  private BlockPlanner(BuildingBlock block, int m) {
    this.p = block.devices();
    this.m = m;
    slots = new int[p][5][];
    int[][] offsets = block.offsets();
    for (int d = 0; d < p; d++) {
      for (int t = 0; t < 4; t++) {
        int[] s = new int[m];
        for (int mb = 0; mb < m; mb++) {
          s[mb] = offsets[d][t] + BuildingBlock.INTERVAL * mb;
        }
        slots[d][t] = s;
      }
      slots[d][4] = new int[0];
    }
  }

  /** The op order of {@code block} over {@code m} microbatches, compacted when {@code compact}. */
  static List<List<Op>> plan(BuildingBlock block, int m, boolean compact) {
    BlockPlanner planner = new BlockPlanner(block, m);
    planner.shiftToZero();
    if (compact) {
      planner.compact(true);
      planner.dropW();
      planner.compact(false);
      planner.dropW();
    }
    return planner.order();
  }

  /**
   * Peak activation (DESIGN.md units) of the uncompacted block over enough repetitions to reach
   * its steady state: a cheap estimate of what {@link #plan} gives, for screening candidates.
   */
  static double roughPeak(BuildingBlock block, int m) {
    int lo = Integer.MAX_VALUE;
    int hi = Integer.MIN_VALUE;
    for (int[] o : block.offsets()) {
      for (int x : o) {
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
      }
    }
    int reps = Math.min(m, (hi - lo) / BuildingBlock.INTERVAL + 3);
    int peak = 0;
    for (List<Op> ops : plan(block, reps, false)) {
      int held = 0;
      for (Op op : ops) {
        held += op.kind() == OpKind.F ? 1 : op.kind() == OpKind.W ? -1 : 0;
        peak = Math.max(peak, held);
      }
    }
    return peak / 2.0;
  }

  private void shiftToZero() {
    int min = Integer.MAX_VALUE;
    for (int d = 0; d < p; d++) {
      for (int t = 0; t < 4; t++) {
        min = Math.min(min, slots[d][t][0]);
      }
    }
    for (int d = 0; d < p; d++) {
      for (int t = 0; t < 4; t++) {
        for (int i = 0; i < m; i++) {
          slots[d][t][i] -= min;
        }
      }
    }
  }

  private void dropW() {
    for (int d = 0; d < p; d++) {
      slots[d][4] = new int[0];
    }
    withW = false;
  }

  private int lastSlot(int d) {
    int hi = 0;
    for (int[] s : slots[d]) {
      for (int x : s) {
        hi = Math.max(hi, x);
      }
    }
    return hi;
  }

  /** Per slot of device d: encoded (type, index) + 1, or 0 when free. */
  private int[] occupancy(int d, int length) {
    int[] occ = new int[length];
    for (int t = 0; t < 5; t++) {
      int[] s = slots[d][t];
      for (int i = 0; i < s.length; i++) {
        occ[s[i]] = (i * 5 + t) + 1;
      }
    }
    return occ;
  }

  /** One W per free slot, oldest B first; the rest after the last pass. */
  private void putW() {
    for (int d = 0; d < p; d++) {
      int bound = lastSlot(d);
      int[] occ = occupancy(d, bound + 1);
      int[] w = new int[2 * m];
      int n = 0;
      int pending = 0;
      for (int slot = 0; slot <= bound; slot++) {
        if (occ[slot] != 0) {
          int t = (occ[slot] - 1) % 5;
          if (t == 2 || t == 3) {
            pending++;
          }
        } else if (pending > 0) {
          w[n++] = slot;
          pending--;
        }
      }
      int slot = bound;
      while (n < 2 * m) {
        w[n++] = ++slot;
      }
      slots[d][4] = w;
    }
    withW = true;
  }

  /** Passes sorted by (slot, device, type, index), encoded as long. */
  private long[] sortedPasses() {
    int count = 0;
    for (int d = 0; d < p; d++) {
      for (int[] s : slots[d]) {
        count += s.length;
      }
    }
    long[] all = new long[count];
    int n = 0;
    for (int d = 0; d < p; d++) {
      for (int t = 0; t < 5; t++) {
        int[] s = slots[d][t];
        for (int i = 0; i < s.length; i++) {
          all[n++] = ((long) s[i] << 40) | ((long) d << 24) | ((long) t << 20) | i;
        }
      }
    }
    Arrays.sort(all);
    return all;
  }

  /** Earliest slot a pass may take given the current slots of its inputs. */
  private int earliest(int d, int t, int i) {
    int dep = -1;
    if (t == 4) {
      dep = kthB(d, i);
    } else {
      if ((t == 0 || t == 2) && d > 0) {
        dep = Math.max(dep, slots[d - 1][t][i]);
      }
      if ((t == 1 || t == 3) && d < p - 1) {
        dep = Math.max(dep, slots[d + 1][t][i]);
      }
      if (t > 0) {
        dep = Math.max(dep, slots[d][t - 1][i]);
      }
    }
    if (i > 0) {
      dep = Math.max(dep, slots[d][t][i - 1]);
    }
    return dep + 1;
  }

  /** Slot of device d's i-th B in slot order (each chunk's B's are already in slot order). */
  private int kthB(int d, int i) {
    int[] x = slots[d][2];
    int[] y = slots[d][3];
    int a = 0;
    int b = 0;
    for (int k = 0; k < i; k++) {
      if (b >= y.length || (a < x.length && x[a] < y[b])) {
        a++;
      } else {
        b++;
      }
    }
    if (b >= y.length || (a < x.length && x[a] < y[b])) {
      return x[a];
    }
    return y[b];
  }

  private void compact(boolean includeW) {
    if (includeW) {
      putW();
    }
    Profile[] profiles = new Profile[p];
    int cap = 0;
    for (int d = 0; d < p; d++) {
      profiles[d] = new Profile(occupancy(d, lastSlot(d) + 2), withW);
      cap = Math.max(cap, profiles[d].peak());
    }
    int phase = 0;
    for (long code : sortedPasses()) {
      int d = (int) ((code >>> 24) & 0xFFFF);
      int t = (int) ((code >>> 20) & 0xF);
      int i = (int) (code & 0xFFFFF);
      int current = slots[d][t][i];
      if (t == 3 && d == 0 && phase == 0) {
        phase = 1;
      }
      boolean fixed = phase == 1 || (phase == 0 && !includeW);
      if (phase == 1 && t == 0 && i == m - 1) {
        phase = 2;
      }
      if (fixed) {
        continue;
      }
      Profile profile = profiles[d];
      for (int slot = earliest(d, t, i); slot < current; slot++) {
        if (profile.free(slot) && profile.tryMove(current, slot, cap)) {
          slots[d][t][i] = slot;
          break;
        }
      }
    }
    if (!withW) {
      putW();
    }
    squeeze();
  }

  /**
   * Activation count of one device slot by slot, for checking moves cheaply. With explicit W's
   * a move only changes the counts between its two slots; without, every free slot after a B
   * releases one activation (an implicit W), so a move changes the counts from its new slot on.
   */
  private static final class Profile {
    private final int[] occ;
    private final boolean explicitW;
    private final int[] memAfter;
    private final int[] pendingAfter;

    Profile(int[] occ, boolean explicitW) {
      this.occ = occ;
      this.explicitW = explicitW;
      memAfter = new int[occ.length];
      pendingAfter = new int[occ.length];
      walk(0, occ.length - 1, Integer.MAX_VALUE, true);
    }

    boolean free(int slot) {
      return occ[slot] == 0;
    }

    int peak() {
      int peak = 0;
      for (int x : memAfter) {
        peak = Math.max(peak, x);
      }
      return peak;
    }

    /** Moves the pass at {@code from} to the free {@code to < from} if no count exceeds cap. */
    boolean tryMove(int from, int to, int cap) {
      int code = occ[from];
      occ[to] = code;
      occ[from] = 0;
      int last = explicitW ? from : occ.length - 1;
      if (walk(to, last, cap, false)) {
        walk(to, last, cap, true);
        return true;
      }
      occ[from] = code;
      occ[to] = 0;
      return false;
    }

    /** Recounts slots first..last; false as soon as a count exceeds cap. */
    private boolean walk(int first, int last, int cap, boolean store) {
      int cur = first == 0 ? 0 : memAfter[first - 1];
      int pending = first == 0 ? 0 : pendingAfter[first - 1];
      for (int slot = first; slot <= last; slot++) {
        if (occ[slot] != 0) {
          int t = (occ[slot] - 1) % 5;
          if (t < 2) {
            cur++;
          } else if (t < 4) {
            pending++;
          } else {
            cur--;
          }
        } else if (!explicitW && pending > 0) {
          pending--;
          cur--;
        }
        if (cur > cap) {
          return false;
        }
        if (store) {
          memAfter[slot] = cur;
          pendingAfter[slot] = pending;
        }
      }
      return true;
    }
  }

  /** Every pass (W's included) as early as its inputs and its device's previous pass allow. */
  private void squeeze() {
    int[][][] end = new int[p][5][];
    for (int d = 0; d < p; d++) {
      for (int t = 0; t < 5; t++) {
        end[d][t] = new int[slots[d][t].length];
      }
    }
    int[] free = new int[p];
    for (long code : sortedPasses()) {
      int d = (int) ((code >>> 24) & 0xFFFF);
      int t = (int) ((code >>> 20) & 0xF);
      int i = (int) (code & 0xFFFFF);
      int start = free[d];
      if (t < 4) {
        if ((t == 0 || t == 2) && d > 0) {
          start = Math.max(start, end[d - 1][t][i]);
        }
        if ((t == 1 || t == 3) && d < p - 1) {
          start = Math.max(start, end[d + 1][t][i]);
        }
        if (t > 0) {
          start = Math.max(start, end[d][t - 1][i]);
        }
      }
      if (i > 0) {
        start = Math.max(start, end[d][t][i - 1]);
      }
      end[d][t][i] = start + 1;
      free[d] = start + 1;
    }
    for (int d = 0; d < p; d++) {
      for (int t = 0; t < 5; t++) {
        for (int i = 0; i < slots[d][t].length; i++) {
          slots[d][t][i] = end[d][t][i] - 1;
        }
      }
    }
  }

  /** Final order: passes by slot, W's (chunk 1's first) in free slots after their B. */
  private List<List<Op>> order() {
    List<List<Op>> out = new ArrayList<>(p);
    for (int d = 0; d < p; d++) {
      int bound = lastSlot(d);
      int[] occ = occupancy(d, bound + 1);
      List<Op> ops = new ArrayList<>(6 * m);
      int[][] pending = new int[2][m];
      int[] head = new int[2];
      int[] tail = new int[2];
      for (int slot = 0; slot <= bound; slot++) {
        if (occ[slot] != 0) {
          int t = (occ[slot] - 1) % 5;
          int mb = (occ[slot] - 1) / 5;
          int chunk = t == 0 || t == 3 ? 0 : 1;
          int v = VShape.stage(p, d, chunk);
          ops.add(t < 2 ? Op.f(mb, v) : Op.b(mb, v));
          if (t >= 2) {
            pending[chunk][tail[chunk]++] = mb;
          }
        } else {
          addW(ops, d, pending, head, tail);
        }
      }
      while (addW(ops, d, pending, head, tail)) {
        // drain
      }
      out.add(ops);
    }
    return out;
  }

  private boolean addW(List<Op> ops, int d, int[][] pending, int[] head, int[] tail) {
    for (int c = 1; c >= 0; c--) {
      if (head[c] < tail[c]) {
        ops.add(Op.w(pending[c][head[c]++], VShape.stage(p, d, c)));
        return true;
      }
    }
    return false;
  }
}
