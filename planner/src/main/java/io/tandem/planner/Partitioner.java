package io.tandem.planner;

import java.util.Arrays;
import java.util.Optional;

/**
 * Splits layers {@code 0..L-1} into {@code V} contiguous, non-empty ranges (one per virtual
 * stage, in stage order) minimizing the largest stage time, subject to each stage's memory
 * test. Exact dynamic programming over (stages used, layers covered) in {@code O(V L^2)} cost
 * calls at most: {@code best[k][j]} is the least bottleneck of layers {@code 0..j-1} in {@code k}
 * stages. The last stage's start is scanned from the shortest range up and the scan stops once
 * that stage alone is as slow as the best found, so stage times must not decrease when a range
 * grows (true of sums of non-negative layer times). Memory need not be monotone. Ties keep the
 * shortest last stage, so the result is deterministic.
 */
public final class Partitioner {
  private Partitioner() {}

  /** Time and memory of one stage holding layers {@code [from, to)}. */
  public interface StageCost {
    /** Time of virtual stage {@code stage} running layers {@code [from, to)}. */
    double time(int stage, int from, int to);

    /** Whether those layers fit the memory of {@code stage}'s device. */
    boolean fits(int stage, int from, int to);
  }

  /**
   * A split: {@code boundaries[v]..boundaries[v+1]} are stage {@code v}'s layers.
   *
   * @param bottleneck the largest stage time
   */
  public record Split(int[] boundaries, double bottleneck) {
    public Split {
      boundaries = boundaries.clone();
    }

    @Override
    public int[] boundaries() {
      return boundaries.clone();
    }

    public int stages() {
      return boundaries.length - 1;
    }

    public int first(int stage) {
      return boundaries[stage];
    }

    public int end(int stage) {
      return boundaries[stage + 1];
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Split s && Arrays.equals(boundaries, s.boundaries) && bottleneck == s.bottleneck;
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(boundaries) * 31 + Double.hashCode(bottleneck);
    }

    @Override
    public String toString() {
      return "Split" + Arrays.toString(boundaries) + " bottleneck " + bottleneck;
    }
  }

  /** The best split, or empty when no split fits (or {@code stages > layers}). */
  public static Optional<Split> balance(int layers, int stages, StageCost cost) {
    if (stages < 1 || layers < 1) {
      throw new IllegalArgumentException("partition needs layers >= 1 and stages >= 1, got " + layers + ", " + stages);
    }
    if (stages > layers) {
      return Optional.empty();
    }
    double inf = Double.POSITIVE_INFINITY;
    // best[k][j]: stages 0..k-1 hold layers 0..j-1; from[k][j]: where stage k-1 starts
    double[][] best = new double[stages + 1][layers + 1];
    int[][] from = new int[stages + 1][layers + 1];
    for (double[] row : best) {
      Arrays.fill(row, inf);
    }
    best[0][0] = 0;
    for (int k = 1; k <= stages; k++) {
      int stage = k - 1;
      // stage k-1 must leave at least one layer to each later stage
      int maxJ = layers - (stages - k);
      for (int j = k; j <= maxJ; j++) {
        double b = inf;
        int arg = -1;
        // longest last stage last: time only grows as i falls, so stop once it reaches b
        for (int i = j - 1; i >= k - 1; i--) {
          double t = cost.time(stage, i, j);
          if (t >= b) {
            break;
          }
          double prev = best[k - 1][i];
          if (prev >= b || !cost.fits(stage, i, j)) {
            continue;
          }
          double v = Math.max(prev, t);
          if (v < b) {
            b = v;
            arg = i;
          }
        }
        best[k][j] = b;
        from[k][j] = arg;
      }
    }
    if (best[stages][layers] == inf) {
      return Optional.empty();
    }
    int[] bounds = new int[stages + 1];
    bounds[stages] = layers;
    for (int k = stages, j = layers; k > 0; k--) {
      j = from[k][j];
      bounds[k - 1] = j;
    }
    return Optional.of(new Split(bounds, best[stages][layers]));
  }
}
