package io.tandem.kernels;

/**
 * The inner loops of {@link CpuBackend} that have a Vector API form. Two implementations:
 * {@link ScalarKernels} (plain Java) and {@code VectorKernels} (loaded reflectively only when
 * {@code jdk.incubator.vector} is in the boot layer).
 *
 * <p>Every method except {@link #microKernel} evaluates the same float operations per element in
 * the same order in both implementations (no fused multiply-add), so the two paths agree
 * bit-for-bit there; the GEMM micro-kernels differ (FMA versus multiply-add) and agree to
 * rounding.
 */
interface CpuKernels {

  /** Short description for logs, e.g. {@code vector-256} or {@code scalar}. */
  String name();

  /** Rows of a GEMM micro-tile. */
  int mr();

  /** Columns of a GEMM micro-tile. */
  int nr();

  /**
   * {@code C[r][j] += alpha * sum_{p < kc} ap[ao + p*mr + r] * bp[bo + p*nr + j]} for
   * {@code r < rows <= mr}, {@code j < cols <= nr}, C row-major at {@code c[co]} with leading
   * dimension {@code ldc}. Each element's sum runs over {@code p} in increasing order starting
   * from zero, then is scaled by alpha and added to C.
   */
  void microKernel(int kc, float[] ap, int ao, float[] bp, int bo, float alpha,
      float[] c, int co, int ldc, int rows, int cols);

  /** {@code y[yo+i] += alpha * x[xo+i]}. */
  void axpy(int n, float alpha, float[] x, int xo, float[] y, int yo);

  /** {@code out[oo+i] = a[ao+i] + b[bo+i]}. */
  void add(int n, float[] a, int ao, float[] b, int bo, float[] out, int oo);

  /** {@code x[xo+i] *= alpha}. */
  void scale(int n, float alpha, float[] x, int xo);

  /** {@code dst[dOff+i] += src[sOff+i]}. */
  void addTo(int n, float[] src, int sOff, float[] dst, int dOff);

  /** {@code y[yo+i] = (x[xo+i] - mean) * rstd * gamma[i] + beta[i]}. */
  void layerNormRow(int n, float[] x, int xo, float mean, float rstd, float[] gamma,
      float[] beta, float[] y, int yo);

  /**
   * For {@code i < n}: {@code xhat = (x[xo+i] - mean) * rstd};
   * {@code gAcc[i] += dy[dyo+i] * xhat}; {@code bAcc[i] += dy[dyo+i]}.
   */
  void layerNormWeightRow(int n, float[] dy, int dyo, float[] x, int xo, float mean, float rstd,
      float[] gAcc, float[] bAcc);

  /**
   * AdamW over {@code [from, to)}: {@code p -= lrWd * p; m = b1*m + omb1*g;
   * v = b2*v + omb2*g*g; p -= lr * (m / bc1) / (sqrt(v / bc2) + eps)}.
   */
  void adamw(int from, int to, float[] p, float[] g, float[] m, float[] v, float lr, float lrWd,
      float b1, float omb1, float b2, float omb2, float bc1, float bc2, float eps);

  /** SGD over {@code [from, to)}: {@code vel = mom*vel + g + wd*p; p -= lr*vel}. */
  void sgd(int from, int to, float[] p, float[] g, float[] vel, float lr, float mom, float wd);
}
