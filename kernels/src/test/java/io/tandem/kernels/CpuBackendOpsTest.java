package io.tandem.kernels;

import static io.tandem.kernels.CpuTestSupport.get;
import static io.tandem.kernels.CpuTestSupport.put;
import static io.tandem.kernels.CpuTestSupport.putInts;
import static io.tandem.kernels.CpuTestSupport.random;
import static io.tandem.kernels.CpuTestSupport.randomPositive;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every non-GEMM op against a straightforward double-precision reference loop. */
class CpuBackendOpsTest {
  private static final double TOL = 1e-5;

  static List<CpuBackend.Kernels> paths() {
    return CpuTestSupport.paths();
  }

  private static void close(double[] want, float[] got, double tol, String what) {
    assertEquals(want.length, got.length, what + " length");
    for (int i = 0; i < want.length; i++) {
      double err = Math.abs(want[i] - got[i]);
      if (err > tol * (1 + Math.abs(want[i]))) {
        throw new AssertionError(what + " at " + i + ": got " + got[i] + ", want " + want[i]);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("paths")
  void elementwiseOps_matchReference(CpuBackend.Kernels path) {
    SplittableRandom r = new SplittableRandom(1);
    int n = 70_001;
    float[] x = random(r, n);
    float[] y = random(r, n);
    try (CpuBackend be = CpuBackend.create(2, path)) {
      DeviceBuffer dx = put(be, x);
      DeviceBuffer dy = put(be, y);
      be.axpy(n - 1, 0.5f, dx, dy);
      double[] want = new double[n];
      for (int i = 0; i < n; i++) {
        want[i] = i < n - 1 ? y[i] + 0.5 * x[i] : y[i];
      }
      close(want, get(be, dy), TOL, "axpy");

      DeviceBuffer out = be.allocate(n);
      be.add(n, dx, dy, out);
      float[] yy = get(be, dy);
      for (int i = 0; i < n; i++) {
        want[i] = (double) x[i] + yy[i];
      }
      close(want, get(be, out), TOL, "add");
      be.add(n, dx, dy, dx); // out aliases a
      close(want, get(be, dx), TOL, "add aliased");

      be.scale(n, -2f, out);
      for (int i = 0; i < n; i++) {
        want[i] *= -2;
      }
      close(want, get(be, out), TOL, "scale");

      be.fill(out, 3, 10, 7f);
      float[] filled = get(be, out);
      assertEquals(7f, filled[3]);
      assertEquals(7f, filled[12]);
      assertEquals((float) want[13], filled[13]);
      assertEquals((float) want[2], filled[2]);

      DeviceBuffer cp = be.allocate(20);
      be.copy(out, 5, cp, 2, 15);
      float[] c = get(be, cp);
      assertEquals(0f, c[0]);
      assertEquals(filled[5], c[2]);
      assertEquals(filled[19], c[16]);
      assertEquals(0f, c[17]);

      double ss = 0;
      for (int i = 11; i < n; i++) {
        ss += (double) x[i] * x[i];
      }
      DeviceBuffer xs = put(be, x);
      assertEquals(ss, be.sumOfSquares(xs, 11, n - 11), 1e-9 * ss);
      assertEquals(0.0, be.sumOfSquares(xs, 5, 0));
      assertThrows(IllegalArgumentException.class, () -> be.sumOfSquares(xs, 5, n));
      assertThrows(IllegalArgumentException.class, () -> be.axpy(n + 1, 1f, xs, dy));
    }
  }

  @ParameterizedTest
  @MethodSource("paths")
  void bias_matchesReference(CpuBackend.Kernels path) {
    SplittableRandom r = new SplittableRandom(2);
    int rows = 150;
    int cols = 333;
    float[] o = random(r, rows * cols);
    float[] bias = random(r, cols);
    float[] db0 = random(r, cols);
    try (CpuBackend be = CpuBackend.create(2, path)) {
      DeviceBuffer dOut = put(be, o);
      be.biasAdd(dOut, put(be, bias), rows, cols);
      double[] want = new double[rows * cols];
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
          want[i * cols + j] = (double) o[i * cols + j] + bias[j];
        }
      }
      close(want, get(be, dOut), TOL, "biasAdd");
      DeviceBuffer db = put(be, db0);
      be.biasGrad(dOut, db, rows, cols);
      double[] wantDb = new double[cols];
      float[] after = get(be, dOut);
      for (int j = 0; j < cols; j++) {
        double s = 0;
        for (int i = 0; i < rows; i++) {
          s += after[i * cols + j];
        }
        wantDb[j] = db0[j] + s;
      }
      close(wantDb, get(be, db), 1e-4, "biasGrad");
    }
  }

  private static double gelu(double x) {
    return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
  }

  @ParameterizedTest
  @MethodSource("paths")
  void gelu_matchesFormulaAndFiniteDifference(CpuBackend.Kernels path) {
    int n = 5000;
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = -12f + 24f * i / n;
    }
    float[] dy = random(new SplittableRandom(3), n);
    try (CpuBackend be = CpuBackend.create(2, path)) {
      DeviceBuffer dx = put(be, x);
      DeviceBuffer y = be.allocate(n);
      be.gelu(n, dx, y);
      double[] want = new double[n];
      double[] wantGrad = new double[n];
      for (int i = 0; i < n; i++) {
        want[i] = gelu(x[i]);
        double h = 1e-4;
        wantGrad[i] = dy[i] * (gelu(x[i] + h) - gelu(x[i] - h)) / (2 * h);
      }
      close(want, get(be, y), TOL, "gelu");
      DeviceBuffer g = be.allocate(n);
      be.fill(g, 0, n, Float.NaN);
      be.geluBackward(n, dx, put(be, dy), g);
      close(wantGrad, get(be, g), 1e-5, "geluBackward");
    }
  }

  @ParameterizedTest
  @MethodSource("paths")
  void layerNorm_forwardAndBackward_matchReference(CpuBackend.Kernels path) {
    SplittableRandom r = new SplittableRandom(4);
    int rows = 37;
    int cols = 70;
    float eps = 1e-5f;
    float[] x = random(r, rows * cols);
    for (int i = 0; i < x.length; i++) {
      x[i] = x[i] * 3 + 1;
    }
    float[] gamma = random(r, cols);
    float[] beta = random(r, cols);
    float[] dy = random(r, rows * cols);
    float[] dg0 = random(r, cols);
    float[] db0 = random(r, cols);
    double[] wantY = new double[rows * cols];
    double[] wantMean = new double[rows];
    double[] wantRstd = new double[rows];
    double[] wantDx = new double[rows * cols];
    double[] wantDg = new double[cols];
    double[] wantDb = new double[cols];
    for (int j = 0; j < cols; j++) {
      wantDg[j] = dg0[j];
      wantDb[j] = db0[j];
    }
    for (int i = 0; i < rows; i++) {
      double mu = 0;
      for (int j = 0; j < cols; j++) {
        mu += x[i * cols + j];
      }
      mu /= cols;
      double var = 0;
      for (int j = 0; j < cols; j++) {
        var += (x[i * cols + j] - mu) * (x[i * cols + j] - mu);
      }
      var /= cols;
      double rs = 1 / Math.sqrt(var + eps);
      wantMean[i] = mu;
      wantRstd[i] = rs;
      double sg = 0;
      double sgx = 0;
      for (int j = 0; j < cols; j++) {
        double xhat = (x[i * cols + j] - mu) * rs;
        wantY[i * cols + j] = xhat * gamma[j] + beta[j];
        double g = dy[i * cols + j] * gamma[j];
        sg += g;
        sgx += g * xhat;
        wantDg[j] += dy[i * cols + j] * xhat;
        wantDb[j] += dy[i * cols + j];
      }
      for (int j = 0; j < cols; j++) {
        double xhat = (x[i * cols + j] - mu) * rs;
        double g = dy[i * cols + j] * gamma[j];
        wantDx[i * cols + j] = rs * (g - sg / cols - xhat * sgx / cols);
      }
    }
    try (CpuBackend be = CpuBackend.create(2, path)) {
      DeviceBuffer dx = put(be, x);
      DeviceBuffer g = put(be, gamma);
      DeviceBuffer y = be.allocate(rows * cols);
      DeviceBuffer mean = be.allocate(rows);
      DeviceBuffer rstd = be.allocate(rows);
      be.layerNorm(dx, g, put(be, beta), y, mean, rstd, rows, cols, eps);
      close(wantY, get(be, y), 1e-5, "layerNorm y");
      close(wantMean, get(be, mean), 1e-6, "layerNorm mean");
      close(wantRstd, get(be, rstd), 1e-6, "layerNorm rstd");
      DeviceBuffer ddy = put(be, dy);
      DeviceBuffer gradX = be.allocate(rows * cols);
      be.fill(gradX, 0, rows * cols, Float.NaN);
      be.layerNormBackwardInput(ddy, dx, g, mean, rstd, gradX, rows, cols);
      close(wantDx, get(be, gradX), 1e-4, "layerNorm dx");
      DeviceBuffer dg = put(be, dg0);
      DeviceBuffer db = put(be, db0);
      be.layerNormBackwardWeight(ddy, dx, mean, rstd, dg, db, rows, cols);
      close(wantDg, get(be, dg), 1e-4, "layerNorm dGamma");
      close(wantDb, get(be, db), 1e-5, "layerNorm dBeta");
    }
  }

  @ParameterizedTest
  @MethodSource("paths")
  void softmaxFamily_matchesReference(CpuBackend.Kernels path) {
    SplittableRandom r = new SplittableRandom(5);
    int rows = 40;
    int cols = 33;
    float[] x = random(r, rows * cols);
    for (int i = 0; i < x.length; i++) {
      x[i] *= 10;
    }
    float[] dy = random(r, rows * cols);
    double[] wantY = new double[rows * cols];
    for (int i = 0; i < rows; i++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < cols; j++) {
        max = Math.max(max, x[i * cols + j]);
      }
      double sum = 0;
      for (int j = 0; j < cols; j++) {
        sum += Math.exp(x[i * cols + j] - max);
      }
      for (int j = 0; j < cols; j++) {
        wantY[i * cols + j] = Math.exp(x[i * cols + j] - max) / sum;
      }
    }
    try (CpuBackend be = CpuBackend.create(2, path)) {
      DeviceBuffer y = be.allocate(rows * cols);
      be.softmax(put(be, x), y, rows, cols);
      float[] ys = get(be, y);
      close(wantY, ys, 1e-5, "softmax");
      double[] wantDx = new double[rows * cols];
      for (int i = 0; i < rows; i++) {
        double dot = 0;
        for (int j = 0; j < cols; j++) {
          dot += (double) dy[i * cols + j] * ys[i * cols + j];
        }
        for (int j = 0; j < cols; j++) {
          wantDx[i * cols + j] = 0.5 * ys[i * cols + j] * (dy[i * cols + j] - dot);
        }
      }
      DeviceBuffer dx = be.allocate(rows * cols);
      be.softmaxBackward(y, put(be, dy), dx, rows, cols, 0.5f);
      close(wantDx, get(be, dx), 1e-5, "softmaxBackward");
    }
  }

  @ParameterizedTest
  @MethodSource("paths")
  void causalSoftmax_masksFutureAndNormalizesPast(CpuBackend.Kernels path) {
    SplittableRandom r = new SplittableRandom(6);
    int count = 3;
    int t = 9;
    float scale = 0.3f;
    float[] s = random(r, count * t * t);
    try (CpuBackend be = CpuBackend.create(2, path)) {
      DeviceBuffer p = be.allocate(count * t * t);
      be.fill(p, 0, count * t * t, Float.NaN);
      be.causalSoftmax(put(be, s), p, count, t, scale);
      float[] got = get(be, p);
      double[] want = new double[count * t * t];
      for (int c = 0; c < count; c++) {
        for (int i = 0; i < t; i++) {
          int o = (c * t + i) * t;
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j <= i; j++) {
            max = Math.max(max, scale * s[o + j]);
          }
          double sum = 0;
          for (int j = 0; j <= i; j++) {
            sum += Math.exp(scale * s[o + j] - max);
          }
          for (int j = 0; j <= i; j++) {
            want[o + j] = Math.exp(scale * s[o + j] - max) / sum;
          }
        }
      }
      close(want, got, 1e-5, "causalSoftmax");
      // the masked part of the softmax backward is exactly zero
      DeviceBuffer dx = be.allocate(count * t * t);
      be.softmaxBackward(p, put(be, random(r, count * t * t)), dx, count * t, t, 1f);
      float[] g = get(be, dx);
      for (int row = 0; row < count * t; row++) {
        for (int j = row % t + 1; j < t; j++) {
          assertEquals(0f, Math.abs(g[row * t + j]));
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("paths")
  void crossEntropy_matchesReferenceAndIgnoresMinusOne(CpuBackend.Kernels path) {
    SplittableRandom r = new SplittableRandom(7);
    int rows = 12;
    int vocab = 50;
    float[] x = random(r, rows * vocab);
    for (int i = 0; i < x.length; i++) {
      x[i] *= 5;
    }
    int[] t = new int[rows];
    for (int i = 0; i < rows; i++) {
      t[i] = i == 4 ? -1 : r.nextInt(vocab);
    }
    float gs = 1f / 11;
    double[] wantLoss = new double[rows];
    double[] wantGrad = new double[rows * vocab];
    for (int i = 0; i < rows; i++) {
      if (t[i] < 0) {
        continue;
      }
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < vocab; j++) {
        max = Math.max(max, x[i * vocab + j]);
      }
      double sum = 0;
      for (int j = 0; j < vocab; j++) {
        sum += Math.exp(x[i * vocab + j] - max);
      }
      wantLoss[i] = Math.log(sum) + max - x[i * vocab + t[i]];
      for (int j = 0; j < vocab; j++) {
        double p = Math.exp(x[i * vocab + j] - max) / sum;
        wantGrad[i * vocab + j] = gs * (p - (j == t[i] ? 1 : 0));
      }
    }
    try (CpuBackend be = CpuBackend.create(2, path)) {
      DeviceBuffer losses = be.allocate(rows);
      DeviceBuffer dl = be.allocate(rows * vocab);
      be.fill(losses, 0, rows, Float.NaN);
      be.fill(dl, 0, rows * vocab, Float.NaN);
      DeviceIntBuffer targets = putInts(be, t);
      DeviceBuffer logits = put(be, x);
      be.crossEntropy(logits, targets, losses, dl, rows, vocab, gs);
      close(wantLoss, get(be, losses), 1e-5, "loss");
      close(wantGrad, get(be, dl), 1e-6, "dLogits");
      DeviceIntBuffer bad = putInts(be, new int[] {0, 50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
      assertThrows(IllegalArgumentException.class,
          () -> be.crossEntropy(logits, bad, losses, dl, rows, vocab, gs));
    }
  }

  @ParameterizedTest
  @MethodSource("paths")
  void embedding_gathersAndScatterAddsInRowOrder(CpuBackend.Kernels path) {
    SplittableRandom r = new SplittableRandom(8);
    int vocab = 7;
    int dim = 75;
    int rows = 30;
    int[] ids = new int[rows];
    for (int i = 0; i < rows; i++) {
      ids[i] = r.nextInt(vocab);
    }
    float[] table = random(r, vocab * dim);
    float[] dOut = random(r, rows * dim);
    float[] dTable0 = random(r, vocab * dim);
    try (CpuBackend be = CpuBackend.create(2, path)) {
      DeviceIntBuffer id = putInts(be, ids);
      DeviceBuffer out = be.allocate(rows * dim);
      be.embeddingForward(put(be, table), id, out, rows, dim);
      float[] got = get(be, out);
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < dim; j++) {
          assertEquals(table[ids[i] * dim + j], got[i * dim + j]);
        }
      }
      DeviceBuffer dTable = put(be, dTable0);
      be.embeddingBackward(put(be, dOut), id, dTable, rows, dim);
      float[] want = dTable0.clone();
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < dim; j++) {
          want[ids[i] * dim + j] += dOut[i * dim + j];
        }
      }
      assertArrayEquals(want, get(be, dTable));
      DeviceIntBuffer bad = putInts(be, new int[] {vocab});
      assertThrows(IllegalArgumentException.class,
          () -> be.embeddingForward(put(be, table), bad, out, 1, dim));
    }
  }

  @ParameterizedTest
  @MethodSource("paths")
  void optimizers_matchReference(CpuBackend.Kernels path) {
    SplittableRandom r = new SplittableRandom(9);
    int n = 40_000;
    float[] p = random(r, n);
    float[] g = random(r, n);
    float[] m = random(r, n);
    float[] v = randomPositive(r, n);
    float lr = 1e-2f;
    float b1 = 0.9f;
    float b2 = 0.99f;
    float eps = 1e-8f;
    float wd = 0.1f;
    int step = 4;
    double[] wantP = new double[n];
    double[] wantM = new double[n];
    double[] wantV = new double[n];
    double bc1 = 1 - Math.pow(b1, step);
    double bc2 = 1 - Math.pow(b2, step);
    for (int i = 0; i < n; i++) {
      double pi = p[i] - (double) lr * wd * p[i];
      wantM[i] = b1 * (double) m[i] + (1 - b1) * (double) g[i];
      wantV[i] = b2 * (double) v[i] + (1 - b2) * (double) g[i] * g[i];
      wantP[i] = pi - lr * (wantM[i] / bc1) / (Math.sqrt(wantV[i] / bc2) + eps);
    }
    try (CpuBackend be = CpuBackend.create(2, path)) {
      DeviceBuffer dp = put(be, p);
      DeviceBuffer dm = put(be, m);
      DeviceBuffer dv = put(be, v);
      DeviceBuffer dg = put(be, g);
      be.adamw(n, dp, dg, dm, dv, lr, b1, b2, eps, wd, step);
      close(wantM, get(be, dm), 1e-6, "adam m");
      close(wantV, get(be, dv), 1e-6, "adam v");
      close(wantP, get(be, dp), 1e-5, "adam p");
      assertThrows(IllegalArgumentException.class,
          () -> be.adamw(n, dp, dg, dm, dv, lr, b1, b2, eps, wd, 0));

      DeviceBuffer sp = put(be, p);
      DeviceBuffer vel = put(be, m);
      be.sgd(n, sp, dg, vel, 0.1f, 0.9f, 0.01f);
      double[] wantVel = new double[n];
      double[] wantSp = new double[n];
      for (int i = 0; i < n; i++) {
        wantVel[i] = 0.9 * m[i] + g[i] + 0.01 * p[i];
        wantSp[i] = p[i] - 0.1 * wantVel[i];
      }
      close(wantVel, get(be, vel), 1e-6, "sgd velocity");
      close(wantSp, get(be, sp), 1e-6, "sgd param");
    }
  }
}
