package io.tandem.model.optim;

import io.tandem.model.Parameter;
import java.util.List;

/**
 * Gradient clipping by global norm. Each layer reports its gradient sum of squares; they are
 * added in layer order from the first layer, so the norm is the same however the model is
 * split into stages (the coordinator gathers the per-layer values and combines them).
 */
public final class GradientClipping {
  private GradientClipping() {}

  /** {@code sqrt} of the per-layer sums of squares added in the given (layer) order. */
  public static double globalNorm(double[] perLayerSumOfSquares) {
    double s = 0;
    for (double v : perLayerSumOfSquares) {
      s += v;
    }
    return Math.sqrt(s);
  }

  /** The factor to multiply gradients by: {@code min(1, maxNorm / norm)}; 1 when maxNorm <= 0. */
  public static float scale(double globalNorm, double maxNorm) {
    if (maxNorm <= 0 || !(globalNorm > maxNorm)) {
      return 1f;
    }
    return (float) (maxNorm / globalNorm);
  }

  /** Multiplies every gradient by {@code scale} (nothing when it is 1). */
  public static void apply(List<Parameter> params, float scale) {
    if (scale == 1f) {
      return;
    }
    for (Parameter p : params) {
      p.backend().scale(p.size(), scale, p.grad());
    }
  }
}
