package io.tandem.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tandem.kernels.Backend;
import io.tandem.model.optim.AdamW;
import io.tandem.model.optim.GradientClipping;
import io.tandem.model.optim.LearningRate;
import io.tandem.model.optim.Sgd;
import java.util.List;
import org.junit.jupiter.api.Test;

class OptimizerTest {

  @Test
  void adamwMatchesAHostReference() {
    try (Backend backend = TestSupport.cpu(1)) {
      Parameter p = new Parameter(backend, "w", 1, 3, true);
      Parameter q = new Parameter(backend, "b", 1, 3, false);
      float[] w0 = {0.5f, -1f, 2f};
      float[] g = {0.1f, -0.2f, 0.3f};
      AdamW opt = new AdamW(0.9f, 0.99f, 1e-8f, 0.1f);
      for (Parameter x : List.of(p, q)) {
        x.set(w0);
      }
      double[] m = new double[3];
      double[] v = new double[3];
      double[][] ref = {toDouble(w0), toDouble(w0)};
      for (int step = 1; step <= 3; step++) {
        for (Parameter x : List.of(p, q)) {
          backend.upload(g, 0, x.grad(), 0, 3);
        }
        opt.step(List.of(p, q), step, 0.01f);
        for (int i = 0; i < 3; i++) {
          m[i] = 0.9 * m[i] + 0.1 * g[i];
          v[i] = 0.99 * v[i] + 0.01 * g[i] * g[i];
          double mh = m[i] / (1 - Math.pow(0.9, step));
          double vh = v[i] / (1 - Math.pow(0.99, step));
          for (int k = 0; k < 2; k++) {
            double decay = k == 0 ? 0.1 : 0.0;
            ref[k][i] = ref[k][i] - 0.01 * decay * ref[k][i] - 0.01 * mh / (Math.sqrt(vh) + 1e-8);
          }
        }
      }
      float[] pw = p.get();
      float[] qw = q.get();
      for (int i = 0; i < 3; i++) {
        assertEquals(ref[0][i], pw[i], 1e-5, "decayed weight " + i);
        assertEquals(ref[1][i], qw[i], 1e-5, "undecayed bias " + i);
      }
      assertEquals(2, p.optimizerSlots());
    }
  }

  @Test
  void sgdMomentum() {
    try (Backend backend = TestSupport.cpu(1)) {
      Parameter p = new Parameter(backend, "b", 1, 1, false);
      p.set(new float[] {1f});
      Sgd sgd = new Sgd(0.9f, 0.5f);
      backend.upload(new float[] {1f}, 0, p.grad(), 0, 1);
      sgd.step(List.of(p), 1, 0.1f);
      assertEquals(0.9f, p.get()[0], 1e-6);
      sgd.step(List.of(p), 2, 0.1f);
      assertEquals(0.9f - 0.1f * 1.9f, p.get()[0], 1e-6);
    }
  }

  @Test
  void clippingByGlobalNorm() {
    assertEquals(5.0, GradientClipping.globalNorm(new double[] {9, 16}), 0.0);
    assertEquals(0.2f, GradientClipping.scale(5.0, 1.0), 1e-7);
    assertEquals(1f, GradientClipping.scale(0.5, 1.0));
    assertEquals(1f, GradientClipping.scale(5.0, 0.0));
  }

  @Test
  void learningRateWarmsUpAndDecays() {
    LearningRate lr = new LearningRate(1f, 10, 110, 0.1f);
    assertEquals(0.1f, lr.at(1), 1e-6);
    assertEquals(1f, lr.at(10), 1e-6);
    assertEquals(0.55f, lr.at(60), 1e-6);
    assertEquals(0.1f, lr.at(200), 1e-6);
    assertEquals(0.3f, LearningRate.constant(0.3f).at(5));
  }

  private static double[] toDouble(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }
}
