package io.tandem.schedule;

import java.util.List;
import java.util.Map;

/**
 * Checks that a schedule can run (issue 2): every op of every (microbatch, virtual stage) exactly
 * once ({@code F}, and either {@code B} + {@code W} or {@code BW}), each on the device its
 * placement names, each {@code W} after its {@code B} in the same device's list, and no deadlock
 * given each device's order (found by simulation making no progress).
 *
 * <p>The checks run in that order and stop at the first problem; the {@link
 * ScheduleValidationException}'s one-line message names the op and its device. Linear in the
 * number of ops.
 */
public final class Validator {
  private Validator() {}

  /** Throws {@link ScheduleValidationException} when {@code s} breaks a rule; returns otherwise. */
  public static void validate(Schedule s) {
    checkStructure(s);
    Simulator.run(s, StageCosts.uniform(s.costs(), s.stages(), s.chunksPerDevice()), MemoryModel.DEFAULT, false);
  }

  /** Every rule except deadlock freedom. */
  static void checkStructure(Schedule s) {
    int p = s.devices();
    int stages = s.stages();
    int m = s.microbatches();
    if (m < 1) {
      throw new ScheduleValidationException(
          "schedule '" + s.name() + "': microbatches must be >= 1, got " + m, null, -1);
    }
    long keys = (long) m * stages;
    if (keys > Integer.MAX_VALUE / 4) {
      throw new ScheduleValidationException(
          "schedule '" + s.name() + "' is too large: " + m + " microbatches x " + stages + " stages", null, -1);
    }
    int n = (int) keys;
    // position + 1 of each op in its device's list; 0 = not seen
    int[] posF = new int[n];
    int[] posB = new int[n];
    int[] posW = new int[n];
    int[] posBW = new int[n];
    for (int d = 0; d < p; d++) {
      List<Op> ops = s.opsOf(d);
      for (int i = 0; i < ops.size(); i++) {
        Op op = ops.get(i);
        if (op == null) {
          throw new ScheduleValidationException(
              "device " + d + ": op " + i + " is missing (null)", null, d);
        }
        if (op.microbatch() >= m) {
          throw fail(op, d, "microbatch " + op.microbatch() + " is outside 0.." + (m - 1));
        }
        if (op.virtualStage() >= stages) {
          throw fail(op, d, "virtual stage " + op.virtualStage() + " is outside 0.." + (stages - 1));
        }
        int owner = s.placement().device(op.virtualStage());
        if (owner != d) {
          throw fail(op, d, "virtual stage " + op.virtualStage() + " belongs to device " + owner);
        }
        int key = op.microbatch() * stages + op.virtualStage();
        int pos = i + 1;
        switch (op.kind()) {
          case F -> {
            if (posF[key] != 0) {
              throw duplicate(op, d, posF[key] - 1, i);
            }
            posF[key] = pos;
          }
          case B -> {
            if (posB[key] != 0) {
              throw duplicate(op, d, posB[key] - 1, i);
            }
            if (posBW[key] != 0) {
              throw fail(op, d, "its backward is already done by " + other(op, OpKind.BW) + " (op " + (posBW[key] - 1) + ")");
            }
            posB[key] = pos;
          }
          case W -> {
            if (posW[key] != 0) {
              throw duplicate(op, d, posW[key] - 1, i);
            }
            if (posBW[key] != 0) {
              throw fail(op, d, "its backward is already done by " + other(op, OpKind.BW) + " (op " + (posBW[key] - 1) + ")");
            }
            posW[key] = pos;
          }
          case BW -> {
            if (posBW[key] != 0) {
              throw duplicate(op, d, posBW[key] - 1, i);
            }
            if (posB[key] != 0 || posW[key] != 0) {
              OpKind k = posB[key] != 0 ? OpKind.B : OpKind.W;
              int at = (posB[key] != 0 ? posB[key] : posW[key]) - 1;
              throw fail(op, d, "the split backward " + other(op, k) + " (op " + at + ") is also scheduled");
            }
            posBW[key] = pos;
          }
        }
      }
    }
    // W after its B, in the same device's list.
    for (int d = 0; d < p; d++) {
      List<Op> ops = s.opsOf(d);
      for (int i = 0; i < ops.size(); i++) {
        Op op = ops.get(i);
        if (op.kind() != OpKind.W) {
          continue;
        }
        int key = op.microbatch() * stages + op.virtualStage();
        if (posB[key] == 0) {
          throw fail(op, d, "its " + other(op, OpKind.B) + " is missing");
        }
        if (posB[key] > posW[key]) {
          throw fail(op, d, "it comes before its " + other(op, OpKind.B) + " (op " + i + " < op " + (posB[key] - 1) + ")");
        }
      }
    }
    // Every (microbatch, stage) complete.
    for (int mb = 0; mb < m; mb++) {
      for (int v = 0; v < stages; v++) {
        int key = mb * stages + v;
        int d = s.placement().device(v);
        if (posF[key] == 0) {
          throw missing(Op.f(mb, v), d);
        }
        if (posBW[key] == 0) {
          if (posB[key] == 0) {
            throw new ScheduleValidationException(
                "missing op B" + mb + "@" + v + " (or BW" + mb + "@" + v + ") on device " + d, Op.b(mb, v), d);
          }
          if (posW[key] == 0) {
            throw missing(Op.w(mb, v), d);
          }
        }
      }
    }
    checkWeightVersions(s);
  }

  private static void checkWeightVersions(Schedule s) {
    Map<Op, Integer> versions = s.weightVersions();
    if (versions.isEmpty()) {
      return;
    }
    int total = 0;
    for (int d = 0; d < s.devices(); d++) {
      for (Op op : s.opsOf(d)) {
        Integer version = versions.get(op);
        if (version == null) {
          throw fail(op, d, "it has no weight version (every op of a versioned schedule needs one)");
        }
        if (version < 0) {
          throw fail(op, d, "weight version " + version + " is negative");
        }
        total++;
      }
    }
    if (versions.size() != total) {
      throw new ScheduleValidationException(
          "schedule '" + s.name() + "' tags " + versions.size() + " ops with weight versions but has "
              + total + " ops", null, -1);
    }
  }

  private static String other(Op op, OpKind kind) {
    return new Op(kind, op.microbatch(), op.virtualStage()).toString();
  }

  private static ScheduleValidationException fail(Op op, int device, String why) {
    return new ScheduleValidationException("op " + op + " on device " + device + ": " + why, op, device);
  }

  private static ScheduleValidationException duplicate(Op op, int device, int first, int second) {
    return fail(op, device, "scheduled twice (op " + first + " and op " + second + ")");
  }

  private static ScheduleValidationException missing(Op op, int device) {
    return new ScheduleValidationException("missing op " + op + " on device " + device, op, device);
  }
}
