package io.tandem.kernels;

/** Plain-Java {@link CpuKernels}: a 4 x 4 register-tiled GEMM micro-kernel, scalar loops. */
final class ScalarKernels implements CpuKernels {
  static final int MR = 4;
  static final int NR = 4;

  @Override
  public String name() {
    return "scalar";
  }

  @Override
  public int mr() {
    return MR;
  }

  @Override
  public int nr() {
    return NR;
  }

  @Override
  public void microKernel(int kc, float[] ap, int ao, float[] bp, int bo, float alpha,
      float[] c, int co, int ldc, int rows, int cols) {
    float c00 = 0, c01 = 0, c02 = 0, c03 = 0;
    float c10 = 0, c11 = 0, c12 = 0, c13 = 0;
    float c20 = 0, c21 = 0, c22 = 0, c23 = 0;
    float c30 = 0, c31 = 0, c32 = 0, c33 = 0;
    for (int p = 0; p < kc; p++) {
      float b0 = bp[bo];
      float b1 = bp[bo + 1];
      float b2 = bp[bo + 2];
      float b3 = bp[bo + 3];
      float a = ap[ao];
      c00 += a * b0; c01 += a * b1; c02 += a * b2; c03 += a * b3;
      a = ap[ao + 1];
      c10 += a * b0; c11 += a * b1; c12 += a * b2; c13 += a * b3;
      a = ap[ao + 2];
      c20 += a * b0; c21 += a * b1; c22 += a * b2; c23 += a * b3;
      a = ap[ao + 3];
      c30 += a * b0; c31 += a * b1; c32 += a * b2; c33 += a * b3;
      ao += MR;
      bo += NR;
    }
    float[] t = {
      c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33
    };
    for (int r = 0; r < rows; r++) {
      int row = co + r * ldc;
      for (int j = 0; j < cols; j++) {
        c[row + j] += alpha * t[r * NR + j];
      }
    }
  }

  @Override
  public void axpy(int n, float alpha, float[] x, int xo, float[] y, int yo) {
    for (int i = 0; i < n; i++) {
      y[yo + i] += alpha * x[xo + i];
    }
  }

  @Override
  public void add(int n, float[] a, int ao, float[] b, int bo, float[] out, int oo) {
    for (int i = 0; i < n; i++) {
      out[oo + i] = a[ao + i] + b[bo + i];
    }
  }

  @Override
  public void scale(int n, float alpha, float[] x, int xo) {
    for (int i = 0; i < n; i++) {
      x[xo + i] *= alpha;
    }
  }

  @Override
  public void addTo(int n, float[] src, int sOff, float[] dst, int dOff) {
    for (int i = 0; i < n; i++) {
      dst[dOff + i] += src[sOff + i];
    }
  }

  @Override
  public void layerNormRow(int n, float[] x, int xo, float mean, float rstd, float[] gamma,
      float[] beta, float[] y, int yo) {
    for (int i = 0; i < n; i++) {
      y[yo + i] = (x[xo + i] - mean) * rstd * gamma[i] + beta[i];
    }
  }

  @Override
  public void layerNormWeightRow(int n, float[] dy, int dyo, float[] x, int xo, float mean,
      float rstd, float[] gAcc, float[] bAcc) {
    for (int i = 0; i < n; i++) {
      float d = dy[dyo + i];
      float xhat = (x[xo + i] - mean) * rstd;
      gAcc[i] += d * xhat;
      bAcc[i] += d;
    }
  }

  @Override
  public void adamw(int from, int to, float[] p, float[] g, float[] m, float[] v, float lr,
      float lrWd, float b1, float omb1, float b2, float omb2, float bc1, float bc2, float eps) {
    for (int i = from; i < to; i++) {
      float gi = g[i];
      float pi = p[i] - lrWd * p[i];
      float mi = b1 * m[i] + omb1 * gi;
      float vi = b2 * v[i] + omb2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      p[i] = pi - lr * (mi / bc1) / ((float) Math.sqrt(vi / bc2) + eps);
    }
  }

  @Override
  public void sgd(int from, int to, float[] p, float[] g, float[] vel, float lr, float mom,
      float wd) {
    for (int i = from; i < to; i++) {
      float vi = mom * vel[i] + g[i] + wd * p[i];
      vel[i] = vi;
      p[i] -= lr * vi;
    }
  }
}
