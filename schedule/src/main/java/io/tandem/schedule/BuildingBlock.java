package io.tandem.schedule;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A V-shape building block of the Controllable Memory paper: for every device, the slots of one
 * microbatch's four passes (chunk-0 F, chunk-1 F, chunk-1 B, chunk-0 B) within a repeating
 * interval of six unit slots (four passes plus two W's). Repeating the block once per microbatch
 * and putting each W into the first free slot after its B gives a per-device order; the
 * {@link Simulator} then squeezes it (every op as early as its inputs and its device allow).
 *
 * <p>The lifespan of a block (first F to last B on a device) fixes the peak activation memory:
 * about {@code lifespan / 6} microbatches are in flight per chunk.
 *
 * @param offsets {@code offsets[d]} = slots of chunk-0 F, chunk-1 F, chunk-1 B, chunk-0 B on
 *     device {@code d}
 */
record BuildingBlock(int[][] offsets) {
  /** Slots per repetition: six passes of one microbatch on one device. */
  static final int INTERVAL = 6;

  /** The slots per device; a copy, since arrays are mutable. */
  @Override
  public int[][] offsets() {
    return Arrays.stream(offsets).map(int[]::clone).toArray(int[][]::new);
  }

  BuildingBlock {
    offsets = Arrays.stream(offsets).map(int[]::clone).toArray(int[][]::new);
    for (int[] o : offsets) {
      if (o.length != 4) {
        throw new IllegalArgumentException("a building block has four slots per device");
      }
      for (int i = 0; i < 4; i++) {
        for (int j = i + 1; j < 4; j++) {
          if (Math.floorMod(o[i] - o[j], INTERVAL) == 0) {
            throw new IllegalArgumentException("building block slots collide modulo " + INTERVAL);
          }
        }
      }
    }
  }

  /** V-Min block: lifespan about 4p slots, peak about p/3 + 1. */
  static BuildingBlock vMin(int p) {
    int gap = p % 3 == 0 ? 2 : 0;
    int[][] o = new int[p][];
    for (int i = 0; i < p; i++) {
      o[i] = new int[] {i, 2 * p - 1 - i, 2 * p + gap + i, 4 * p + gap - 1 - i};
    }
    return new BuildingBlock(o);
  }

  /** V-Half block: lifespan about 6p slots, peak about p/2 + 1. */
  static BuildingBlock vHalf(int p) {
    int gap = p % 2 == 0 ? 3 : 0;
    int[][] o = new int[p][];
    for (int i = 0; i < p; i++) {
      o[i] = new int[] {2 * i, 3 * p - i - 2, 3 * p + gap + 2 * i - 1, 6 * p + gap - i - 2};
    }
    return new BuildingBlock(o);
  }

  /**
   * The block family {@code auto} searches: device {@code i} runs chunk-0 F at {@code a*i},
   * chunk-1 F at {@code F0(p-1) + 1 + b*(p-1-i)}, chunk-1 B at {@code F1(0) + 1 + g + c*i} and
   * chunk-0 B at {@code B1(p-1) + 1 + h + e*(p-1-i)}, for steps {@code a, b, c, e} in {1, 2} and
   * the smallest gaps {@code g, h} that keep each device's slots distinct modulo 6. Steps of 1
   * give short lifespans (low memory); steps of 2 leave slots for W's (fewer bubbles).
   */
  static java.util.List<BuildingBlock> family(int p) {
    java.util.List<BuildingBlock> out = new java.util.ArrayList<>();
    for (int steps = 0; steps < 16; steps++) {
      int a = 1 + (steps & 1);
      int b = 1 + ((steps >> 1) & 1);
      int c = 1 + ((steps >> 2) & 1);
      int e = 1 + ((steps >> 3) & 1);
      search:
      for (int sum = 0; sum <= 10; sum++) {
        for (int g = 0; g <= sum; g++) {
          int h = sum - g;
          int[][] o = new int[p][4];
          for (int i = 0; i < p; i++) {
            o[i][0] = a * i;
            o[i][1] = a * (p - 1) + 1 + b * (p - 1 - i);
          }
          for (int i = 0; i < p; i++) {
            o[i][2] = o[0][1] + 1 + g + c * i;
          }
          for (int i = 0; i < p; i++) {
            o[i][3] = o[p - 1][2] + 1 + h + e * (p - 1 - i);
          }
          if (distinctModInterval(o)) {
            if (out.stream().noneMatch(x -> Arrays.deepEquals(x.offsets(), o))) {
              out.add(new BuildingBlock(o));
            }
            break search;
          }
        }
      }
    }
    return out;
  }

  private static boolean distinctModInterval(int[][] offsets) {
    for (int[] o : offsets) {
      for (int i = 0; i < 4; i++) {
        for (int j = i + 1; j < 4; j++) {
          if (Math.floorMod(o[i] - o[j], INTERVAL) == 0) {
            return false;
          }
        }
      }
    }
    return true;
  }

  int devices() {
    return offsets.length;
  }

  /**
   * The per-device order of {@code m} repetitions: passes by slot, each free slot taking the
   * oldest pending W (chunk 1's before chunk 0's when {@code chunk1WFirst}), leftover W's last.
   */
  List<List<Op>> order(int m, boolean chunk1WFirst) {
    int p = devices();
    List<List<Op>> out = new ArrayList<>(p);
    for (int d = 0; d < p; d++) {
      int[] o = offsets[d];
      int lo = Arrays.stream(o).min().getAsInt();
      int hi = Arrays.stream(o).max().getAsInt() + INTERVAL * (m - 1);
      Op[] bySlot = new Op[hi - lo + 1];
      int[] kinds = {0, 1, 2, 3};
      for (int k : kinds) {
        int chunk = k == 0 || k == 3 ? 0 : 1;
        int v = VShape.stage(p, d, chunk);
        for (int mb = 0; mb < m; mb++) {
          bySlot[o[k] + INTERVAL * mb - lo] = k < 2 ? Op.f(mb, v) : Op.b(mb, v);
        }
      }
      List<Op> ops = new ArrayList<>(6 * m);
      int[][] pending = new int[2][m];
      int[] head = new int[2];
      int[] tail = new int[2];
      int first = chunk1WFirst ? 1 : 0;
      for (Op op : bySlot) {
        if (op != null) {
          ops.add(op);
          if (op.kind() == OpKind.B) {
            int chunk = op.virtualStage() == d ? 0 : 1;
            pending[chunk][tail[chunk]++] = op.microbatch();
          }
          continue;
        }
        for (int c : new int[] {first, 1 - first}) {
          if (head[c] < tail[c]) {
            ops.add(Op.w(pending[c][head[c]++], VShape.stage(p, d, c)));
            break;
          }
        }
      }
      for (int c : new int[] {first, 1 - first}) {
        while (head[c] < tail[c]) {
          ops.add(Op.w(pending[c][head[c]++], VShape.stage(p, d, c)));
        }
      }
      out.add(ops);
    }
    return out;
  }
}
