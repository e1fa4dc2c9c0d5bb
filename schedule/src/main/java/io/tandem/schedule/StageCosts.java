package io.tandem.schedule;

import java.util.Arrays;

/**
 * Absolute op durations per virtual stage, plus the cost of moving a tensor between devices.
 * Built from uniform {@link OpCosts} (divided by the chunks per device) or given per stage by
 * the planner.
 */
public final class StageCosts {
  private final double[] f;
  private final double[] b;
  private final double[] w;
  private final double comm;

  public StageCosts(double[] f, double[] b, double[] w, double comm) {
    if (f.length == 0 || f.length != b.length || f.length != w.length) {
      throw new IllegalArgumentException("per-stage costs need one F, B and W value per virtual stage");
    }
    for (int v = 0; v < f.length; v++) {
      new OpCosts(f[v], b[v], w[v], comm); // validates each value
    }
    this.f = f.clone();
    this.b = b.clone();
    this.w = w.clone();
    this.comm = comm;
  }

  /** Uniform costs over {@code stages} virtual stages, each op taking {@code cost / chunksPerDevice}. */
  public static StageCosts uniform(OpCosts costs, int stages, int chunksPerDevice) {
    double[] f = new double[stages];
    double[] b = new double[stages];
    double[] w = new double[stages];
    Arrays.fill(f, costs.f() / chunksPerDevice);
    Arrays.fill(b, costs.b() / chunksPerDevice);
    Arrays.fill(w, costs.w() / chunksPerDevice);
    return new StageCosts(f, b, w, costs.comm());
  }

  public int stages() {
    return f.length;
  }

  public double f(int virtualStage) {
    return f[virtualStage];
  }

  public double b(int virtualStage) {
    return b[virtualStage];
  }

  public double w(int virtualStage) {
    return w[virtualStage];
  }

  public double comm() {
    return comm;
  }

  /** Duration of {@code op} under these costs ({@code BW} = B + W). */
  public double duration(Op op) {
    int v = op.virtualStage();
    return switch (op.kind()) {
      case F -> f[v];
      case B -> b[v];
      case W -> w[v];
      case BW -> b[v] + w[v];
    };
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StageCosts s && comm == s.comm && Arrays.equals(f, s.f)
        && Arrays.equals(b, s.b) && Arrays.equals(w, s.w);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(f) * 31 + Arrays.hashCode(b) * 17 + Arrays.hashCode(w) + Double.hashCode(comm);
  }

  @Override
  public String toString() {
    return "StageCosts{F=" + Arrays.toString(f) + ", B=" + Arrays.toString(b) + ", W="
        + Arrays.toString(w) + ", comm=" + comm + "}";
  }
}
