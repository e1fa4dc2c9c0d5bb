package io.tandem.model.optim;

import io.tandem.model.Parameter;
import java.util.List;

/**
 * The data-parallel gradient reduction, defined once: a replica's gradients are its parameters'
 * accumulated gradients concatenated in parameter order; the reduced gradient is the sum over
 * replicas, in replica order, element by element in float ({@code ((g0 + g1) + g2) + ...}). The
 * reference trainer and the runtime's all-reduce both use it, so they agree bit for bit.
 */
public final class GradientReduction {
  private GradientReduction() {}

  /** The parameters' gradients, concatenated in list order. */
  public static float[] gradients(List<Parameter> params) {
    long total = 0;
    for (Parameter p : params) {
      total += p.size();
    }
    float[] out = new float[Math.toIntExact(total)];
    int at = 0;
    for (Parameter p : params) {
      float[] g = p.gradient();
      System.arraycopy(g, 0, out, at, g.length);
      at += g.length;
    }
    return out;
  }

  /** Replaces the parameters' gradients with {@code flat} (as {@link #gradients} lays them out). */
  public static void setGradients(List<Parameter> params, float[] flat) {
    setGradients(params, new float[][] {flat});
  }

  /**
   * Replaces the parameters' gradients with {@code pieces} concatenated in order (as {@link
   * #gradients} lays them out), copied piece by piece: the whole is never built.
   */
  public static void setGradients(List<Parameter> params, float[][] pieces) {
    int piece = 0;
    int inPiece = 0;
    long total = 0;
    for (float[] p : pieces) {
      total += p.length;
    }
    long at = 0;
    for (Parameter p : params) {
      float[] g = new float[Math.toIntExact(p.size())];
      if (at + g.length > total) {
        throw new IllegalArgumentException("reduced gradient has " + total + " elements, the parameters more");
      }
      int filled = 0;
      while (filled < g.length) {
        int n = Math.min(g.length - filled, pieces[piece].length - inPiece);
        System.arraycopy(pieces[piece], inPiece, g, filled, n);
        filled += n;
        inPiece += n;
        if (inPiece == pieces[piece].length) {
          piece++;
          inPiece = 0;
        }
      }
      p.setGradient(g);
      at += g.length;
    }
    if (at != total) {
      throw new IllegalArgumentException("reduced gradient has " + total + " elements, the parameters " + at);
    }
  }

  /** Adds the next replica's gradient into the running sum: {@code sum[i] += replica[i]}. */
  public static void add(float[] sum, float[] replica) {
    if (sum.length != replica.length) {
      throw new IllegalArgumentException("replica gradients differ in size: " + sum.length + " vs " + replica.length);
    }
    for (int i = 0; i < sum.length; i++) {
      sum[i] += replica[i];
    }
  }

  /**
   * The reference trainer's step: the parameters hold one replica's gradient sum; adds it to
   * {@code sum} (the earlier replicas' reduction; null for replica 0) and zeroes the gradients
   * for the next replica. Returns the new running sum.
   */
  public static float[] addReplica(List<Parameter> params, float[] sum) {
    float[] g = gradients(params);
    params.forEach(Parameter::zeroGrad);
    if (sum == null) {
      return g;
    }
    add(sum, g);
    return sum;
  }
}
