package io.tandem.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.kernels.Backend;
import java.util.ArrayList;
import java.util.List;

/**
 * Central finite-difference check of a layer (or a whole model wrapped as one): the scalar is
 * {@code sum(y * R)} in double for a fixed random R, or the scaled loss for loss layers.
 */
final class GradCheck {
  private static final double H = 1e-2;
  private static final double ATOL = 2e-3;
  private static final double RTOL = 2e-2;
  private static final int SAMPLES = 20;

  /** A forward function that leaves nothing stashed. */
  interface Pass {
    Tensor forward(Microbatch mb, Tensor input);

    Tensor backward(Microbatch mb, Tensor gradOutput);

    void discard(int mb);

    List<Parameter> parameters();
  }

  static Pass of(Layer l) {
    return new Pass() {
      public Tensor forward(Microbatch mb, Tensor input) {
        return l.forward(mb, input);
      }

      public Tensor backward(Microbatch mb, Tensor g) {
        return l.backward(mb, g);
      }

      public void discard(int mb) {
        l.discard(mb);
      }

      public List<Parameter> parameters() {
        return l.parameters();
      }
    };
  }

  static Pass of(Model m) {
    return new Pass() {
      public Tensor forward(Microbatch mb, Tensor input) {
        return m.forward(mb, input);
      }

      public Tensor backward(Microbatch mb, Tensor g) {
        return m.backward(mb, g);
      }

      public void discard(int mb) {
        m.discard(mb);
      }

      public List<Parameter> parameters() {
        return m.parameters();
      }
    };
  }

  /**
   * Checks input and parameter gradients. {@code input} may be null (embedding/model input);
   * {@code lossLayer} means the output is per-row losses and the scalar is the scaled loss.
   */
  static void check(Backend backend, Pass pass, Microbatch mb, float[] input, int rows, int cols,
      boolean lossLayer, long seed) {
    Tensor x = input == null ? null : Tensor.of(backend, input, rows, cols);
    Tensor y = pass.forward(mb, x);
    float[] r = lossLayer ? null : TestSupport.gaussians(seed, Math.toIntExact(y.elements()), 1.0);
    Tensor dy = lossLayer ? null : Tensor.of(backend, r, y.rows(), y.cols());
    y.release();
    Tensor dx = pass.backward(mb, dy);
    if (x != null) {
      x.release();
    }
    List<String> failures = new ArrayList<>();
    if (input != null) {
      float[] analytic = dx.toArray();
      dx.release();
      SplitMix64 pick = SplitMix64.keyed(seed, 5);
      for (int s = 0; s < Math.min(SAMPLES, input.length); s++) {
        int i = input.length <= SAMPLES ? s : pick.nextInt(input.length);
        float keep = input[i];
        input[i] = (float) (keep + H);
        double fp = scalar(backend, pass, mb, input, rows, cols, r, lossLayer);
        input[i] = (float) (keep - H);
        double fm = scalar(backend, pass, mb, input, rows, cols, r, lossLayer);
        input[i] = keep;
        compare("input[" + i + "]", (fp - fm) / (2 * H), analytic[i], failures);
      }
    }
    if (dy != null) {
      dy.release();
    }
    int pi = 0;
    for (Parameter p : pass.parameters()) {
      float[] analytic = p.gradient();
      float[] v = p.get();
      SplitMix64 pick = SplitMix64.keyed(seed, 6, pi++);
      int n = v.length;
      for (int s = 0; s < Math.min(SAMPLES, n); s++) {
        int i = n <= SAMPLES ? s : pick.nextInt(n);
        float keep = v[i];
        v[i] = (float) (keep + H);
        p.set(v);
        double fp = scalar(backend, pass, mb, input, rows, cols, r, lossLayer);
        v[i] = (float) (keep - H);
        p.set(v);
        double fm = scalar(backend, pass, mb, input, rows, cols, r, lossLayer);
        v[i] = keep;
        p.set(v);
        compare(p.name() + "[" + i + "]", (fp - fm) / (2 * H), analytic[i], failures);
      }
    }
    assertTrue(failures.isEmpty(), () -> failures.size() + " gradient mismatches: " + String.join("; ", failures));
  }

  private static void compare(String what, double numeric, double analytic, List<String> failures) {
    if (!(Math.abs(numeric - analytic) <= ATOL + RTOL * Math.abs(numeric))) {
      failures.add(what + " numeric=" + numeric + " analytic=" + analytic);
    }
  }

  private static double scalar(Backend backend, Pass pass, Microbatch mb, float[] input, int rows, int cols,
      float[] r, boolean lossLayer) {
    Microbatch probe = new Microbatch(-7, mb.batchSize(), mb.seqLen(), mb.inputs(), mb.targets(), mb.lossScale());
    Tensor x = input == null ? null : Tensor.of(backend, input, rows, cols);
    Tensor y = pass.forward(probe, x);
    pass.discard(probe.id());
    if (x != null) {
      x.release();
    }
    float[] out = y.toArray();
    y.release();
    double f = 0;
    if (lossLayer) {
      for (float v : out) {
        f += v;
      }
      return f * mb.lossScale();
    }
    for (int i = 0; i < out.length; i++) {
      f += (double) out[i] * r[i];
    }
    return f;
  }
}
