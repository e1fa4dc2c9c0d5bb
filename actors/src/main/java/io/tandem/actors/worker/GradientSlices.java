package io.tandem.actors.worker;

import io.tandem.model.optim.GradientReduction;

/**
 * How the data-parallel all-reduce splits a bucket's flattened gradients among {@code D}
 * replicas: replica {@code r} owns the contiguous slice {@code [floor(n*r/D), floor(n*(r+1)/D))}
 * (sizes differ by at most one; a bucket of fewer than {@code D} elements leaves some slices
 * empty). Every replica sends slice {@code r} to its owner (reduce-scatter), the owner adds the
 * replicas' slices in replica order, {@code ((g0 + g1) + g2) + ...} ({@link GradientReduction#add}),
 * and sends the reduced slice to every replica (all-gather). Each element is therefore summed in
 * replica order, exactly as {@link GradientReduction} defines, whatever the slicing.
 */
public final class GradientSlices {
  private GradientSlices() {}

  /** First element of replica {@code r}'s slice of {@code n} elements split {@code replicas} ways. */
  public static int start(int n, int replicas, int r) {
    if (replicas < 1 || r < 0 || r > replicas) {
      throw new IllegalArgumentException("slice " + r + " of " + replicas + " replicas");
    }
    return (int) ((long) n * r / replicas);
  }

  /** Replica {@code r}'s slice of {@code gradients}, copied. */
  public static float[] slice(float[] gradients, int replicas, int r) {
    int from = start(gradients.length, replicas, r);
    return java.util.Arrays.copyOfRange(gradients, from, start(gradients.length, replicas, r + 1));
  }

  /** The replicas' slices (index = replica) added in replica order into a new array. */
  public static float[] sum(float[][] inReplicaOrder) {
    float[] sum = inReplicaOrder[0].clone();
    for (int r = 1; r < inReplicaOrder.length; r++) {
      GradientReduction.add(sum, inReplicaOrder[r]);
    }
    return sum;
  }

  /** The owners' reduced slices (index = owner) put back together. */
  public static float[] assemble(float[][] byOwner) {
    int n = 0;
    for (float[] s : byOwner) {
      n += s.length;
    }
    float[] out = new float[n];
    int at = 0;
    for (int r = 0; r < byOwner.length; r++) {
      if (at != start(n, byOwner.length, r)) {
        throw new IllegalArgumentException("reduced slice " + r + " starts at element " + at + " of " + n
            + ", its owner's slice starts at " + start(n, byOwner.length, r));
      }
      System.arraycopy(byOwner[r], 0, out, at, byOwner[r].length);
      at += byOwner[r].length;
    }
    return out;
  }
}
