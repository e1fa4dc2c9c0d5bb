package io.tandem.actors.worker;

import io.tandem.model.optim.GradientReduction;

/**
 * How the data-parallel all-reduce splits a bucket's flattened gradients among {@code D}
 * replicas: replica {@code r} owns the contiguous slice {@code [floor(n*r/D), floor(n*(r+1)/D))}
 * (sizes differ by at most one; a bucket of fewer than {@code D} elements leaves some slices
 * empty). Every replica sends slice {@code r} to its owner (reduce-scatter), the owner adds the
 * replicas' slices in replica order, {@code ((g0 + g1) + g2) + ...} ({@link GradientReduction#add}),
 * and sends the reduced slice to every replica (all-gather). A slice travels as pieces of at most
 * {@code pieceFloats} elements (at least one piece, possibly empty), so the owner can sum a piece
 * while the next arrives. Each element is still summed in replica order, exactly as {@link
 * GradientReduction} defines, whatever the slicing.
 */
public final class GradientSlices {
  /** Floats per piece by default: 2 MiB. */
  public static final int PIECE_FLOATS = 1 << 19;

  private GradientSlices() {}

  /** First element of replica {@code r}'s slice of {@code n} elements split {@code replicas} ways. */
  public static int start(int n, int replicas, int r) {
    if (replicas < 1 || r < 0 || r > replicas) {
      throw new IllegalArgumentException("slice " + r + " of " + replicas + " replicas");
    }
    return (int) ((long) n * r / replicas);
  }

  /** Pieces of a slice of {@code length} elements: at least one. */
  public static int pieces(int length, int pieceFloats) {
    return Math.max(1, (int) (((long) length + pieceFloats - 1) / pieceFloats));
  }

  /** Piece {@code k} of replica {@code r}'s slice of {@code gradients}, copied. */
  public static float[] piece(float[] gradients, int replicas, int r, int k, int pieceFloats) {
    int from = start(gradients.length, replicas, r);
    int to = start(gradients.length, replicas, r + 1);
    int at = (int) Math.min(to, from + (long) k * pieceFloats);
    return java.util.Arrays.copyOfRange(gradients, at, (int) Math.min(to, (long) at + pieceFloats));
  }

  /** Where piece {@code k} of replica {@code r}'s slice starts in the bucket of {@code n} elements. */
  public static int pieceStart(int n, int replicas, int r, int k, int pieceFloats) {
    int from = start(n, replicas, r);
    return (int) Math.min(start(n, replicas, r + 1), from + (long) k * pieceFloats);
  }

  /** {@code pieces} one after another, in a new array. */
  public static float[] concat(float[][] pieces) {
    return concatInto(pieces, new float[length(pieces)]);
  }

  /** The elements of {@code pieces} together. */
  public static int length(float[][] pieces) {
    long n = 0;
    for (float[] p : pieces) {
      n += p.length;
    }
    return Math.toIntExact(n);
  }

  /** {@code pieces} one after another into {@code out}, which holds exactly {@link #length} elements; returns it. */
  public static float[] concatInto(float[][] pieces, float[] out) {
    if (out.length != length(pieces)) {
      throw new IllegalArgumentException("pieces of " + length(pieces) + " elements into " + out.length);
    }
    int at = 0;
    for (float[] p : pieces) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  /** The replicas' slices (index = replica) added in replica order into a new array. */
  public static float[] sum(float[][] inReplicaOrder) {
    float[] sum = inReplicaOrder[0].clone();
    for (int r = 1; r < inReplicaOrder.length; r++) {
      GradientReduction.add(sum, inReplicaOrder[r]);
    }
    return sum;
  }
}
