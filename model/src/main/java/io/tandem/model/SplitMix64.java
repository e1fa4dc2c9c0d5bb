package io.tandem.model;

/**
 * A small deterministic random number generator (SplitMix64). Each stream is keyed by a list of
 * longs (seed, layer, parameter; or seed, step, microbatch), so no stream depends on how many
 * numbers another one drew.
 */
public final class SplitMix64 {
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;
  private long state;
  private double spareGaussian = Double.NaN;

  public SplitMix64(long seed) {
    this.state = seed;
  }

  /** A generator whose stream depends on every key, in order. */
  public static SplitMix64 keyed(long... keys) {
    long s = 0x5DEECE66DL;
    for (long k : keys) {
      s = mix(s + GOLDEN) ^ k;
      s = mix(s);
    }
    return new SplitMix64(s);
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  public long nextLong() {
    state += GOLDEN;
    return mix(state);
  }

  /** Uniform in [0, 1). */
  public double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  /** Uniform in [0, bound). */
  public int nextInt(int bound) {
    if (bound <= 0) {
      throw new IllegalArgumentException("bound must be positive: " + bound);
    }
    return (int) Math.floorMod(nextLong() >>> 1, (long) bound);
  }

  /** Standard normal (Box-Muller). */
  public double nextGaussian() {
    if (!Double.isNaN(spareGaussian)) {
      double g = spareGaussian;
      spareGaussian = Double.NaN;
      return g;
    }
    double u1 = 1.0 - nextDouble();
    double u2 = nextDouble();
    double r = Math.sqrt(-2.0 * Math.log(u1));
    spareGaussian = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** {@code n} normal samples times {@code std}, as floats. */
  public float[] gaussians(int n, double std) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) (nextGaussian() * std);
    }
    return out;
  }
}
