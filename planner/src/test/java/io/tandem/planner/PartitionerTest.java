package io.tandem.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PartitionerTest {
  /** A random instance: per-layer times and bytes, per-stage speed, multiplier and cap. */
  record Instance(double[] time, long[] bytes, long[] input, double[] speed, double[] mult, long[] cap)
      implements Partitioner.StageCost {
    @Override
    public double time(int stage, int from, int to) {
      double t = 0;
      for (int i = from; i < to; i++) {
        t += time[i];
      }
      return t / speed[stage];
    }

    @Override
    public boolean fits(int stage, int from, int to) {
      long b = 0;
      for (int i = from; i < to; i++) {
        b += bytes[i];
      }
      // the input term is not monotone in the range: the DP must not rely on that
      return b * mult[stage] + input[from] <= cap[stage];
    }
  }

  static Instance random(Random rnd, int layers, int stages, boolean tight) {
    double[] time = new double[layers];
    long[] bytes = new long[layers];
    long[] input = new long[layers];
    for (int i = 0; i < layers; i++) {
      time[i] = rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(100) / 10.0;
      bytes[i] = rnd.nextInt(50);
      input[i] = rnd.nextInt(30);
    }
    double[] speed = new double[stages];
    double[] mult = new double[stages];
    long[] cap = new long[stages];
    for (int v = 0; v < stages; v++) {
      speed[v] = 0.5 + rnd.nextInt(4) * 0.5;
      mult[v] = 1 + rnd.nextInt(3);
      cap[v] = tight ? 40 + rnd.nextInt(200) : Long.MAX_VALUE / 4;
    }
    return new Instance(time, bytes, input, speed, mult, cap);
  }

  /** Every split into {@code stages} non-empty ranges; the least bottleneck among those that fit. */
  static double bruteForce(Instance in, int layers, int stages) {
    return search(in, layers, stages, 0, 0, 0);
  }

  private static double search(Instance in, int layers, int stages, int stage, int from, double worst) {
    if (stage == stages - 1) {
      return in.fits(stage, from, layers) ? Math.max(worst, in.time(stage, from, layers)) : Double.POSITIVE_INFINITY;
    }
    double best = Double.POSITIVE_INFINITY;
    for (int to = from + 1; to <= layers - (stages - 1 - stage); to++) {
      if (in.fits(stage, from, to)) {
        best = Math.min(best, search(in, layers, stages, stage + 1, to, Math.max(worst, in.time(stage, from, to))));
      }
    }
    return best;
  }

  @Test
  void dp_equalsBruteForce_onSmallRandomInstances() {
    Random rnd = new Random(42);
    int feasible = 0;
    for (int t = 0; t < 3000; t++) {
      int layers = 1 + rnd.nextInt(10);
      int stages = 1 + rnd.nextInt(4);
      Instance in = random(rnd, layers, stages, rnd.nextBoolean());
      double expected = stages > layers ? Double.POSITIVE_INFINITY : bruteForce(in, layers, stages);
      Optional<Partitioner.Split> split = Partitioner.balance(layers, stages, in);
      if (expected == Double.POSITIVE_INFINITY) {
        assertTrue(split.isEmpty(), "instance " + t + ": nothing fits, DP found " + split);
        continue;
      }
      feasible++;
      assertTrue(split.isPresent(), "instance " + t + ": brute force found " + expected + ", DP nothing");
      assertEquals(expected, split.get().bottleneck(), 1e-9, "instance " + t);
      // the split itself is valid and has that bottleneck
      int[] b = split.get().boundaries();
      assertEquals(0, b[0]);
      assertEquals(layers, b[stages]);
      double worst = 0;
      for (int v = 0; v < stages; v++) {
        assertTrue(b[v + 1] > b[v], "empty stage in " + split.get());
        assertTrue(in.fits(v, b[v], b[v + 1]), "stage " + v + " of " + split.get() + " does not fit");
        worst = Math.max(worst, in.time(v, b[v], b[v + 1]));
      }
      assertEquals(expected, worst, 1e-9);
    }
    assertTrue(feasible > 1000, "too few feasible instances to mean anything: " + feasible);
  }

  @Test
  void moreStagesThanLayers_isEmpty() {
    Instance in = random(new Random(1), 3, 4, false);
    assertTrue(Partitioner.balance(3, 4, in).isEmpty());
  }
}
