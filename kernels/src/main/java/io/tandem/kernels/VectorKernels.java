package io.tandem.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link CpuKernels} on the incubating Vector API: a 4 x (2 vectors) FMA GEMM micro-kernel and
 * lane-wise loops with the same per-element operations as {@link ScalarKernels}. Only loaded
 * when {@code jdk.incubator.vector} is in the boot layer (see {@link CpuBackend}).
 */
final class VectorKernels implements CpuKernels {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int VL = S.length();
  static final int MR = 4;
  private static final int NR = 2 * VL;

  @Override
  public String name() {
    return "vector-" + S.vectorBitSize();
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
    FloatVector z = FloatVector.zero(S);
    FloatVector c00 = z;
    FloatVector c01 = z;
    FloatVector c10 = z;
    FloatVector c11 = z;
    FloatVector c20 = z;
    FloatVector c21 = z;
    FloatVector c30 = z;
    FloatVector c31 = z;
    for (int p = 0; p < kc; p++) {
      FloatVector b0 = FloatVector.fromArray(S, bp, bo);
      FloatVector b1 = FloatVector.fromArray(S, bp, bo + VL);
      FloatVector a = FloatVector.broadcast(S, ap[ao]);
      c00 = a.fma(b0, c00);
      c01 = a.fma(b1, c01);
      a = FloatVector.broadcast(S, ap[ao + 1]);
      c10 = a.fma(b0, c10);
      c11 = a.fma(b1, c11);
      a = FloatVector.broadcast(S, ap[ao + 2]);
      c20 = a.fma(b0, c20);
      c21 = a.fma(b1, c21);
      a = FloatVector.broadcast(S, ap[ao + 3]);
      c30 = a.fma(b0, c30);
      c31 = a.fma(b1, c31);
      ao += MR;
      bo += NR;
    }
    if (rows == MR && cols == NR) {
      update(c, co, c00, alpha);
      update(c, co + VL, c01, alpha);
      update(c, co + ldc, c10, alpha);
      update(c, co + ldc + VL, c11, alpha);
      update(c, co + 2 * ldc, c20, alpha);
      update(c, co + 2 * ldc + VL, c21, alpha);
      update(c, co + 3 * ldc, c30, alpha);
      update(c, co + 3 * ldc + VL, c31, alpha);
      return;
    }
    float[] t = new float[MR * NR];
    c00.intoArray(t, 0);
    c01.intoArray(t, VL);
    c10.intoArray(t, NR);
    c11.intoArray(t, NR + VL);
    c20.intoArray(t, 2 * NR);
    c21.intoArray(t, 2 * NR + VL);
    c30.intoArray(t, 3 * NR);
    c31.intoArray(t, 3 * NR + VL);
    for (int r = 0; r < rows; r++) {
      int row = co + r * ldc;
      for (int j = 0; j < cols; j++) {
        c[row + j] += alpha * t[r * NR + j];
      }
    }
  }

  /** {@code c[o .. o+VL) += alpha * acc}, two roundings as in the scalar edge path. */
  private static void update(float[] c, int o, FloatVector acc, float alpha) {
    FloatVector.fromArray(S, c, o).add(acc.mul(alpha)).intoArray(c, o);
  }

  @Override
  public void axpy(int n, float alpha, float[] x, int xo, float[] y, int yo) {
    int i = 0;
    for (int end = S.loopBound(n); i < end; i += VL) {
      FloatVector xv = FloatVector.fromArray(S, x, xo + i);
      FloatVector.fromArray(S, y, yo + i).add(xv.mul(alpha)).intoArray(y, yo + i);
    }
    for (; i < n; i++) {
      y[yo + i] += alpha * x[xo + i];
    }
  }

  @Override
  public void add(int n, float[] a, int ao, float[] b, int bo, float[] out, int oo) {
    int i = 0;
    for (int end = S.loopBound(n); i < end; i += VL) {
      FloatVector.fromArray(S, a, ao + i).add(FloatVector.fromArray(S, b, bo + i))
          .intoArray(out, oo + i);
    }
    for (; i < n; i++) {
      out[oo + i] = a[ao + i] + b[bo + i];
    }
  }

  @Override
  public void scale(int n, float alpha, float[] x, int xo) {
    int i = 0;
    for (int end = S.loopBound(n); i < end; i += VL) {
      FloatVector.fromArray(S, x, xo + i).mul(alpha).intoArray(x, xo + i);
    }
    for (; i < n; i++) {
      x[xo + i] *= alpha;
    }
  }

  @Override
  public void addTo(int n, float[] src, int sOff, float[] dst, int dOff) {
    int i = 0;
    for (int end = S.loopBound(n); i < end; i += VL) {
      FloatVector.fromArray(S, dst, dOff + i).add(FloatVector.fromArray(S, src, sOff + i))
          .intoArray(dst, dOff + i);
    }
    for (; i < n; i++) {
      dst[dOff + i] += src[sOff + i];
    }
  }

  @Override
  public void layerNormRow(int n, float[] x, int xo, float mean, float rstd, float[] gamma,
      float[] beta, float[] y, int yo) {
    int i = 0;
    for (int end = S.loopBound(n); i < end; i += VL) {
      FloatVector.fromArray(S, x, xo + i).sub(mean).mul(rstd)
          .mul(FloatVector.fromArray(S, gamma, i)).add(FloatVector.fromArray(S, beta, i))
          .intoArray(y, yo + i);
    }
    for (; i < n; i++) {
      y[yo + i] = (x[xo + i] - mean) * rstd * gamma[i] + beta[i];
    }
  }

  @Override
  public void layerNormWeightRow(int n, float[] dy, int dyo, float[] x, int xo, float mean,
      float rstd, float[] gAcc, float[] bAcc) {
    int i = 0;
    for (int end = S.loopBound(n); i < end; i += VL) {
      FloatVector d = FloatVector.fromArray(S, dy, dyo + i);
      FloatVector xhat = FloatVector.fromArray(S, x, xo + i).sub(mean).mul(rstd);
      FloatVector.fromArray(S, gAcc, i).add(d.mul(xhat)).intoArray(gAcc, i);
      FloatVector.fromArray(S, bAcc, i).add(d).intoArray(bAcc, i);
    }
    for (; i < n; i++) {
      float d = dy[dyo + i];
      float xhat = (x[xo + i] - mean) * rstd;
      gAcc[i] += d * xhat;
      bAcc[i] += d;
    }
  }

  @Override
  public void adamw(int from, int to, float[] p, float[] g, float[] m, float[] v, float lr,
      float lrWd, float b1, float omb1, float b2, float omb2, float bc1, float bc2, float eps) {
    int i = from;
    for (int end = from + S.loopBound(to - from); i < end; i += VL) {
      FloatVector gi = FloatVector.fromArray(S, g, i);
      FloatVector pv = FloatVector.fromArray(S, p, i);
      FloatVector pi = pv.sub(pv.mul(lrWd));
      FloatVector mi = FloatVector.fromArray(S, m, i).mul(b1).add(gi.mul(omb1));
      FloatVector vi = FloatVector.fromArray(S, v, i).mul(b2).add(gi.mul(omb2).mul(gi));
      mi.intoArray(m, i);
      vi.intoArray(v, i);
      FloatVector denom = vi.div(bc2).lanewise(VectorOperators.SQRT).add(eps);
      pi.sub(mi.div(bc1).mul(lr).div(denom)).intoArray(p, i);
    }
    for (; i < to; i++) {
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
    int i = from;
    for (int end = from + S.loopBound(to - from); i < end; i += VL) {
      FloatVector pv = FloatVector.fromArray(S, p, i);
      FloatVector vi = FloatVector.fromArray(S, vel, i).mul(mom)
          .add(FloatVector.fromArray(S, g, i)).add(pv.mul(wd));
      vi.intoArray(vel, i);
      pv.sub(vi.mul(lr)).intoArray(p, i);
    }
    for (; i < to; i++) {
      float vi = mom * vel[i] + g[i] + wd * p[i];
      vel[i] = vi;
      p[i] -= lr * vi;
    }
  }
}
