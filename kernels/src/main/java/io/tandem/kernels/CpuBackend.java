package io.tandem.kernels;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CPU {@link Backend}: buffers are pooled {@code float[]}/{@code int[]} arrays, ops run
 * synchronously on the calling thread plus {@code threads - 1} compute threads owned by this
 * instance, and results are bit-for-bit identical for any thread count: work is split so each
 * output element is written by one task, and every reduction runs in an order that does not
 * depend on the split.
 *
 * <p>The inner loops come from the Vector API ({@code jdk.incubator.vector}) when the JVM was
 * started with {@code --add-modules jdk.incubator.vector}, otherwise from plain Java; see
 * {@link Kernels}. Both paths agree to rounding (GEMM uses FMA only on the vector path; the
 * other vectorized loops agree bitwise).
 */
public final class CpuBackend implements Backend {
  private static final Logger LOG = LoggerFactory.getLogger(CpuBackend.class);
  private static final String VECTOR_MODULE = "jdk.incubator.vector";
  private static final boolean VECTOR_PRESENT = detectVector();

  /** Elements per task for elementwise loops. */
  private static final int GRAIN = 1 << 15;
  /** Fixed block length of the blocked double reduction in {@link #sumOfSquares}. */
  static final int SUM_BLOCK = 1 << 13;
  private static final double GELU_C = Math.sqrt(2.0 / Math.PI);
  private static final double GELU_A = 0.044715;

  /** Which inner loops a backend uses. */
  public enum Kernels {
    /** Vector API when present, else scalar. */
    AUTO,
    /** Vector API; creating the backend fails when the module is absent. */
    VECTOR,
    /** Plain Java loops. */
    SCALAR
  }

  private final int threads;
  private final Kernels kernels;
  private final CpuKernels k;
  private final CpuParallel par;
  private final CpuGemm gemm;
  private final CpuMemory memory = new CpuMemory();
  private final ExecutorService executor;
  private final DeviceInfo info;
  private volatile boolean closed;

  private CpuBackend(int threads, Kernels requested) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    if (requested == Kernels.VECTOR && !VECTOR_PRESENT) {
      throw new IllegalArgumentException("Vector API kernels requested but " + VECTOR_MODULE
          + " is not in the boot layer (run with --add-modules " + VECTOR_MODULE + ")");
    }
    this.threads = threads;
    this.kernels = requested == Kernels.AUTO
        ? (VECTOR_PRESENT ? Kernels.VECTOR : Kernels.SCALAR) : requested;
    this.k = kernels == Kernels.VECTOR ? loadVectorKernels() : new ScalarKernels();
    this.par = new CpuParallel(threads, "tandem-cpu-compute-");
    this.gemm = new CpuGemm(k, par);
    this.executor = Executors.newSingleThreadExecutor(CpuParallel.daemonFactory("tandem-cpu-exec-"));
    this.info = new DeviceInfo("cpu", cpuName(), Runtime.getRuntime().maxMemory(), threads);
    LOG.debug("cpu backend: {} compute threads, {} kernels", threads, k.name());
  }

  /** A backend using every available processor and the best kernels present. */
  public static CpuBackend create() {
    return create(Runtime.getRuntime().availableProcessors());
  }

  /** A backend with {@code threads} compute threads and the best kernels present. */
  public static CpuBackend create(int threads) {
    return create(threads, Kernels.AUTO);
  }

  /** A backend with {@code threads} compute threads and the requested kernels. */
  public static CpuBackend create(int threads, Kernels kernels) {
    return new CpuBackend(threads, kernels);
  }

  /** Whether {@code jdk.incubator.vector} is in the boot layer of this JVM. */
  public static boolean vectorApiAvailable() {
    return VECTOR_PRESENT;
  }

  private static boolean detectVector() {
    boolean present = ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent();
    if (present) {
      LOG.info("cpu kernels: Vector API ({}) present, using vector kernels", VECTOR_MODULE);
    } else {
      LOG.info("cpu kernels: {} absent, using scalar kernels (add --add-modules {} for speed)",
          VECTOR_MODULE, VECTOR_MODULE);
    }
    return present;
  }

  private static CpuKernels loadVectorKernels() {
    try {
      return (CpuKernels) Class.forName("io.tandem.kernels.VectorKernels")
          .getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException | LinkageError e) {
      throw new IllegalStateException("cannot load Vector API kernels", e);
    }
  }

  private static String cpuName() {
    return System.getProperty("os.arch", "cpu") + " x " + Runtime.getRuntime().availableProcessors();
  }

  /** The inner loops in use ({@link Kernels#VECTOR} or {@link Kernels#SCALAR}). */
  public Kernels kernels() {
    return kernels;
  }

  /** Compute threads (the calling thread included). */
  public int threads() {
    return threads;
  }

  /** Bytes held in the pool of freed arrays, ready for reuse. */
  public long pooledBytes() {
    return memory.pooledBytes();
  }

  /** Lets the garbage collector take every pooled array. */
  public void trimPool() {
    memory.clearPool();
  }

  @Override
  public String name() {
    return "cpu";
  }

  @Override
  public DeviceInfo info() {
    return info;
  }

  @Override
  public ExecutorService executor() {
    return executor;
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "CpuBackend[%d threads, %s]", threads, k.name());
  }

  // ---------------------------------------------------------------- memory

  @Override
  public DeviceBuffer allocate(long elements) {
    return new CpuBuffer(this, memory.takeFloats(arrayLength(elements)));
  }

  @Override
  public DeviceIntBuffer allocateInts(long elements) {
    return new CpuIntBuffer(this, memory.takeInts(arrayLength(elements)));
  }

  private static int arrayLength(long elements) {
    if (elements < 0 || elements > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("cannot allocate " + elements + " elements on the CPU");
    }
    return (int) elements;
  }

  @Override
  public void free(DeviceBuffer buffer) {
    CpuBuffer b = own(buffer);
    if (b.isFreed()) {
      throw new IllegalArgumentException("buffer freed twice");
    }
    memory.give(b.release());
  }

  @Override
  public void free(DeviceIntBuffer buffer) {
    CpuIntBuffer b = ownInts(buffer);
    memory.give(b.release());
  }

  @Override
  public long allocatedBytes() {
    return memory.allocatedBytes();
  }

  @Override
  public long peakAllocatedBytes() {
    return memory.peakBytes();
  }

  @Override
  public void resetPeak() {
    memory.resetPeak();
  }

  @Override
  public void upload(float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int length) {
    float[] d = data(dst);
    checkHost(src.length, srcOffset, length, "src");
    int o = range(d, dstOffset, length, "dst");
    System.arraycopy(src, srcOffset, d, o, length);
  }

  @Override
  public void download(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int length) {
    float[] s = data(src);
    int o = range(s, srcOffset, length, "src");
    checkHost(dst.length, dstOffset, length, "dst");
    System.arraycopy(s, o, dst, dstOffset, length);
  }

  @Override
  public void uploadInts(int[] src, int srcOffset, DeviceIntBuffer dst, long dstOffset, int length) {
    int[] d = ints(dst);
    checkHost(src.length, srcOffset, length, "src");
    if (dstOffset < 0 || dstOffset + (long) length > d.length) {
      throw new IllegalArgumentException("dst range [" + dstOffset + ", +" + length
          + ") outside int buffer of " + d.length);
    }
    System.arraycopy(src, srcOffset, d, (int) dstOffset, length);
  }

  @Override
  public void synchronize() {
    // every op completes before it returns
  }

  // ---------------------------------------------------------------- elementwise

  @Override
  public void fill(DeviceBuffer buf, long offset, long n, float value) {
    float[] x = data(buf);
    int o = range(x, offset, n, "buf");
    Arrays.fill(x, o, o + (int) n, value);
  }

  @Override
  public void copy(DeviceBuffer src, long srcOffset, DeviceBuffer dst, long dstOffset, long n) {
    float[] s = data(src);
    float[] d = data(dst);
    int so = range(s, srcOffset, n, "src");
    int dOff = range(d, dstOffset, n, "dst");
    System.arraycopy(s, so, d, dOff, (int) n);
  }

  @Override
  public void axpy(long n, float alpha, DeviceBuffer x, DeviceBuffer y) {
    float[] xs = data(x);
    float[] ys = data(y);
    int len = count(n, xs, ys);
    par.forRange(len, GRAIN, (a, b) -> k.axpy(b - a, alpha, xs, a, ys, a));
  }

  @Override
  public void add(long n, DeviceBuffer a, DeviceBuffer b, DeviceBuffer out) {
    float[] as = data(a);
    float[] bs = data(b);
    float[] os = data(out);
    int len = count(n, as, bs, os);
    par.forRange(len, GRAIN, (lo, hi) -> k.add(hi - lo, as, lo, bs, lo, os, lo));
  }

  @Override
  public void scale(long n, float alpha, DeviceBuffer x) {
    float[] xs = data(x);
    int len = count(n, xs);
    par.forRange(len, GRAIN, (lo, hi) -> k.scale(hi - lo, alpha, xs, lo));
  }

  @Override
  public double sumOfSquares(DeviceBuffer x, long offset, long n) {
    float[] xs = data(x);
    int o = range(xs, offset, n, "x");
    int len = (int) n;
    int blocks = (len + SUM_BLOCK - 1) / SUM_BLOCK;
    double[] partial = new double[blocks];
    par.forRange(blocks, 2, (b0, b1) -> {
      for (int blk = b0; blk < b1; blk++) {
        int from = o + blk * SUM_BLOCK;
        int to = o + Math.min(len, (blk + 1) * SUM_BLOCK);
        double s = 0;
        for (int i = from; i < to; i++) {
          double v = xs[i];
          s += v * v;
        }
        partial[blk] = s;
      }
    });
    double total = 0;
    for (double p : partial) {
      total += p;
    }
    return total;
  }

  // ---------------------------------------------------------------- matrix multiply

  @Override
  public void gemm(boolean transA, boolean transB, int m, int n, int kk, float alpha,
      DeviceBuffer a, long aOffset, int lda, DeviceBuffer b, long bOffset, int ldb,
      float beta, DeviceBuffer c, long cOffset, int ldc) {
    gemm.gemm(problem(transA, transB, m, n, kk, alpha, data(a), aOffset, lda, data(b), bOffset,
        ldb, beta, data(c), cOffset, ldc));
  }

  @Override
  public void gemmStridedBatched(boolean transA, boolean transB, int m, int n, int kk,
      float alpha, DeviceBuffer a, long aOffset, int lda, long strideA,
      DeviceBuffer b, long bOffset, int ldb, long strideB,
      float beta, DeviceBuffer c, long cOffset, int ldc, long strideC, int batch) {
    if (batch < 0 || strideA < 0 || strideB < 0 || strideC < 0) {
      throw new IllegalArgumentException("batch and strides must be >= 0 (batch " + batch
          + ", strides " + strideA + ", " + strideB + ", " + strideC + ")");
    }
    float[] as = data(a);
    float[] bs = data(b);
    float[] cs = data(c);
    CpuGemm.Problem[] problems = new CpuGemm.Problem[batch];
    for (int i = 0; i < batch; i++) {
      problems[i] = problem(transA, transB, m, n, kk, alpha, as, aOffset + i * strideA, lda,
          bs, bOffset + i * strideB, ldb, beta, cs, cOffset + i * strideC, ldc);
    }
    long cSpan = m == 0 || n == 0 ? 0 : (long) (m - 1) * ldc + n;
    gemm.gemmBatch(problems, strideC >= cSpan);
  }

  private static CpuGemm.Problem problem(boolean transA, boolean transB, int m, int n, int kk,
      float alpha, float[] a, long aOffset, int lda, float[] b, long bOffset, int ldb,
      float beta, float[] c, long cOffset, int ldc) {
    if (m < 0 || n < 0 || kk < 0) {
      throw new IllegalArgumentException("gemm sizes must be >= 0: m=" + m + " n=" + n + " k=" + kk);
    }
    int ao = matrix(a, aOffset, lda, transA ? kk : m, transA ? m : kk, "A");
    int bo = matrix(b, bOffset, ldb, transB ? n : kk, transB ? kk : n, "B");
    int co = matrix(c, cOffset, ldc, m, n, "C");
    return new CpuGemm.Problem(transA, transB, m, n, kk, alpha, a, ao, lda, b, bo, ldb, beta, c,
        co, ldc);
  }

  /** Checks a stored rows x cols row-major matrix at {@code offset} with leading dim {@code ld}. */
  private static int matrix(float[] x, long offset, int ld, int rows, int cols, String what) {
    if (offset < 0 || offset > x.length) {
      throw new IllegalArgumentException(what + " offset " + offset + " outside buffer of "
          + x.length);
    }
    if (rows == 0 || cols == 0) {
      return (int) offset;
    }
    if (ld < cols) {
      throw new IllegalArgumentException("leading dimension of " + what + " is " + ld
          + " but its stored rows have " + cols + " elements");
    }
    long end = offset + (long) (rows - 1) * ld + cols;
    if (end > x.length) {
      throw new IllegalArgumentException(what + " (" + rows + " x " + cols + ", ld " + ld
          + ", offset " + offset + ") needs " + end + " elements, buffer has " + x.length);
    }
    return (int) offset;
  }

  // ---------------------------------------------------------------- bias

  @Override
  public void biasAdd(DeviceBuffer out, DeviceBuffer bias, int rows, int cols) {
    float[] o = data(out);
    float[] bs = data(bias);
    checkMatrix(o, rows, cols, "out");
    count(cols, bs);
    par.forRange(rows, rowGrain(cols), (r0, r1) -> {
      for (int r = r0; r < r1; r++) {
        k.addTo(cols, bs, 0, o, r * cols);
      }
    });
  }

  @Override
  public void biasGrad(DeviceBuffer dOut, DeviceBuffer dBias, int rows, int cols) {
    float[] d = data(dOut);
    float[] db = data(dBias);
    checkMatrix(d, rows, cols, "dOut");
    count(cols, db);
    par.forRange(cols, columnGrain(rows), (c0, c1) -> {
      int w = c1 - c0;
      float[] acc = new float[w];
      for (int r = 0; r < rows; r++) {
        k.addTo(w, d, r * cols + c0, acc, 0);
      }
      k.addTo(w, acc, 0, db, c0);
    });
  }

  // ---------------------------------------------------------------- activations

  @Override
  public void gelu(long n, DeviceBuffer x, DeviceBuffer y) {
    float[] xs = data(x);
    float[] ys = data(y);
    int len = count(n, xs, ys);
    par.forRange(len, GRAIN / 8, (lo, hi) -> {
      for (int i = lo; i < hi; i++) {
        double v = xs[i];
        double t = tanh(GELU_C * (v + GELU_A * v * v * v));
        ys[i] = (float) (0.5 * v * (1.0 + t));
      }
    });
  }

  @Override
  public void geluBackward(long n, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx) {
    float[] xs = data(x);
    float[] dys = data(dy);
    float[] dxs = data(dx);
    int len = count(n, xs, dys, dxs);
    par.forRange(len, GRAIN / 8, (lo, hi) -> {
      for (int i = lo; i < hi; i++) {
        double v = xs[i];
        double t = tanh(GELU_C * (v + GELU_A * v * v * v));
        double d = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * GELU_C * (1.0 + 3.0 * GELU_A * v * v);
        dxs[i] = (float) (dys[i] * d);
      }
    });
  }

  /** tanh through {@link Math#exp} (an intrinsic; identical in interpreter and compiled code). */
  private static double tanh(double u) {
    if (u > 20) {
      return 1.0;
    }
    if (u < -20) {
      return -1.0;
    }
    double e = Math.exp(2.0 * u);
    return (e - 1.0) / (e + 1.0);
  }

  // ---------------------------------------------------------------- layer norm

  @Override
  public void layerNorm(DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
      DeviceBuffer mean, DeviceBuffer rstd, int rows, int cols, float eps) {
    float[] xs = data(x);
    float[] g = data(gamma);
    float[] bt = data(beta);
    float[] ys = data(y);
    float[] ms = data(mean);
    float[] rs = data(rstd);
    checkMatrix(xs, rows, cols, "x");
    checkMatrix(ys, rows, cols, "y");
    count(cols, g, bt);
    count(rows, ms, rs);
    par.forRange(rows, rowGrain(cols), (r0, r1) -> {
      for (int r = r0; r < r1; r++) {
        int o = r * cols;
        double s = 0;
        for (int c = 0; c < cols; c++) {
          s += xs[o + c];
        }
        double mu = s / cols;
        double v = 0;
        for (int c = 0; c < cols; c++) {
          double dlt = xs[o + c] - mu;
          v += dlt * dlt;
        }
        float m = (float) mu;
        float rstdR = (float) (1.0 / Math.sqrt(v / cols + eps));
        ms[r] = m;
        rs[r] = rstdR;
        k.layerNormRow(cols, xs, o, m, rstdR, g, bt, ys, o);
      }
    });
  }

  @Override
  public void layerNormBackwardInput(DeviceBuffer dy, DeviceBuffer x, DeviceBuffer gamma,
      DeviceBuffer mean, DeviceBuffer rstd, DeviceBuffer dx, int rows, int cols) {
    float[] dys = data(dy);
    float[] xs = data(x);
    float[] g = data(gamma);
    float[] ms = data(mean);
    float[] rs = data(rstd);
    float[] dxs = data(dx);
    checkMatrix(dys, rows, cols, "dy");
    checkMatrix(xs, rows, cols, "x");
    checkMatrix(dxs, rows, cols, "dx");
    count(cols, g);
    count(rows, ms, rs);
    par.forRange(rows, rowGrain(cols), (r0, r1) -> {
      for (int r = r0; r < r1; r++) {
        int o = r * cols;
        float m = ms[r];
        float rsd = rs[r];
        double sg = 0;
        double sgx = 0;
        for (int c = 0; c < cols; c++) {
          float xhat = (xs[o + c] - m) * rsd;
          float gv = dys[o + c] * g[c];
          sg += gv;
          sgx += (double) gv * xhat;
        }
        double mg = sg / cols;
        double mgx = sgx / cols;
        for (int c = 0; c < cols; c++) {
          float xhat = (xs[o + c] - m) * rsd;
          float gv = dys[o + c] * g[c];
          dxs[o + c] = (float) (rsd * (gv - mg - xhat * mgx));
        }
      }
    });
  }

  @Override
  public void layerNormBackwardWeight(DeviceBuffer dy, DeviceBuffer x, DeviceBuffer mean,
      DeviceBuffer rstd, DeviceBuffer dGamma, DeviceBuffer dBeta, int rows, int cols) {
    float[] dys = data(dy);
    float[] xs = data(x);
    float[] ms = data(mean);
    float[] rs = data(rstd);
    float[] dg = data(dGamma);
    float[] db = data(dBeta);
    checkMatrix(dys, rows, cols, "dy");
    checkMatrix(xs, rows, cols, "x");
    count(rows, ms, rs);
    count(cols, dg, db);
    par.forRange(cols, columnGrain(rows), (c0, c1) -> {
      int w = c1 - c0;
      float[] gAcc = new float[w];
      float[] bAcc = new float[w];
      for (int r = 0; r < rows; r++) {
        k.layerNormWeightRow(w, dys, r * cols + c0, xs, r * cols + c0, ms[r], rs[r], gAcc, bAcc);
      }
      k.addTo(w, gAcc, 0, dg, c0);
      k.addTo(w, bAcc, 0, db, c0);
    });
  }

  // ---------------------------------------------------------------- softmax and attention

  @Override
  public void softmax(DeviceBuffer x, DeviceBuffer y, int rows, int cols) {
    float[] xs = data(x);
    float[] ys = data(y);
    checkMatrix(xs, rows, cols, "x");
    checkMatrix(ys, rows, cols, "y");
    par.forRange(rows, rowGrain(cols * 8), (r0, r1) -> {
      for (int r = r0; r < r1; r++) {
        softmaxRow(xs, r * cols, ys, r * cols, cols, 1f);
      }
    });
  }

  /** {@code y = softmax(scale * x)} over {@code n} elements; max and sum in a fixed order. */
  private static void softmaxRow(float[] x, int xo, float[] y, int yo, int n, float scale) {
    if (n == 0) {
      return;
    }
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      max = Math.max(max, scale * x[xo + i]);
    }
    double sum = 0;
    for (int i = 0; i < n; i++) {
      float e = (float) Math.exp(scale * x[xo + i] - max);
      y[yo + i] = e;
      sum += e;
    }
    double inv = 1.0 / sum;
    for (int i = 0; i < n; i++) {
      y[yo + i] = (float) (y[yo + i] * inv);
    }
  }

  @Override
  public void causalSoftmax(DeviceBuffer scores, DeviceBuffer probs, int count, int t, float scale) {
    float[] s = data(scores);
    float[] p = data(probs);
    if (count < 0 || t < 0) {
      throw new IllegalArgumentException("count and t must be >= 0: " + count + ", " + t);
    }
    long rows = (long) count * t;
    checkMatrix(s, rows, t, "scores");
    checkMatrix(p, rows, t, "probs");
    par.forRange((int) rows, rowGrain(t * 8), (r0, r1) -> {
      for (int r = r0; r < r1; r++) {
        int row = r % t;
        int o = r * t;
        softmaxRow(s, o, p, o, row + 1, scale);
        Arrays.fill(p, o + row + 1, o + t, 0f);
      }
    });
  }

  @Override
  public void softmaxBackward(DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int rows, int cols,
      float scale) {
    float[] ys = data(y);
    float[] dys = data(dy);
    float[] dxs = data(dx);
    checkMatrix(ys, rows, cols, "y");
    checkMatrix(dys, rows, cols, "dy");
    checkMatrix(dxs, rows, cols, "dx");
    par.forRange(rows, rowGrain(cols), (r0, r1) -> {
      for (int r = r0; r < r1; r++) {
        int o = r * cols;
        double dot = 0;
        for (int c = 0; c < cols; c++) {
          dot += (double) dys[o + c] * ys[o + c];
        }
        for (int c = 0; c < cols; c++) {
          dxs[o + c] = (float) (scale * ys[o + c] * (dys[o + c] - dot));
        }
      }
    });
  }

  // ---------------------------------------------------------------- loss

  @Override
  public void crossEntropy(DeviceBuffer logits, DeviceIntBuffer targets, DeviceBuffer losses,
      DeviceBuffer dLogits, int rows, int vocab, float gradScale) {
    float[] x = data(logits);
    int[] tg = ints(targets);
    float[] ls = data(losses);
    float[] dl = data(dLogits);
    checkMatrix(x, rows, vocab, "logits");
    checkMatrix(dl, rows, vocab, "dLogits");
    count(rows, ls);
    if (tg.length < rows) {
      throw new IllegalArgumentException("targets hold " + tg.length + " ints, need " + rows);
    }
    for (int r = 0; r < rows; r++) {
      if (tg[r] < -1 || tg[r] >= vocab) {
        throw new IllegalArgumentException("target " + tg[r] + " at row " + r
            + " outside [0, " + vocab + ") and not -1");
      }
    }
    par.forRange(rows, rowGrain(vocab * 8), (r0, r1) -> {
      for (int r = r0; r < r1; r++) {
        int o = r * vocab;
        int target = tg[r];
        if (target < 0) {
          ls[r] = 0f;
          Arrays.fill(dl, o, o + vocab, 0f);
          continue;
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < vocab; c++) {
          max = Math.max(max, x[o + c]);
        }
        double sum = 0;
        for (int c = 0; c < vocab; c++) {
          sum += Math.exp((double) x[o + c] - max);
        }
        double logZ = max + Math.log(sum);
        ls[r] = (float) (logZ - x[o + target]);
        double inv = 1.0 / sum;
        for (int c = 0; c < vocab; c++) {
          double p = Math.exp((double) x[o + c] - max) * inv;
          dl[o + c] = (float) (gradScale * (c == target ? p - 1.0 : p));
        }
      }
    });
  }

  // ---------------------------------------------------------------- embedding

  @Override
  public void embeddingForward(DeviceBuffer table, DeviceIntBuffer ids, DeviceBuffer out, int rows,
      int dim) {
    float[] tb = data(table);
    int[] id = ints(ids);
    float[] o = data(out);
    checkIds(id, rows, dim, tb.length);
    checkMatrix(o, rows, dim, "out");
    par.forRange(rows, rowGrain(dim), (r0, r1) -> {
      for (int r = r0; r < r1; r++) {
        System.arraycopy(tb, id[r] * dim, o, r * dim, dim);
      }
    });
  }

  @Override
  public void embeddingBackward(DeviceBuffer dOut, DeviceIntBuffer ids, DeviceBuffer dTable,
      int rows, int dim) {
    float[] d = data(dOut);
    int[] id = ints(ids);
    float[] tb = data(dTable);
    checkIds(id, rows, dim, tb.length);
    checkMatrix(d, rows, dim, "dOut");
    par.forRange(dim, columnGrain(rows), (c0, c1) -> {
      for (int r = 0; r < rows; r++) {
        k.addTo(c1 - c0, d, r * dim + c0, tb, id[r] * dim + c0);
      }
    });
  }

  private static void checkIds(int[] id, int rows, int dim, int tableLength) {
    if (rows < 0 || dim < 0) {
      throw new IllegalArgumentException("rows and dim must be >= 0: " + rows + ", " + dim);
    }
    if (id.length < rows) {
      throw new IllegalArgumentException("ids hold " + id.length + " ints, need " + rows);
    }
    long tableRows = dim == 0 ? Long.MAX_VALUE : tableLength / dim;
    for (int r = 0; r < rows; r++) {
      if (id[r] < 0 || id[r] >= tableRows) {
        throw new IllegalArgumentException("id " + id[r] + " at row " + r + " outside table of "
            + tableRows + " rows");
      }
    }
  }

  // ---------------------------------------------------------------- optimizers

  @Override
  public void adamw(long n, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v,
      float lr, float beta1, float beta2, float eps, float weightDecay, int step) {
    if (step < 1) {
      throw new IllegalArgumentException("adamw step is 1-based, got " + step);
    }
    float[] p = data(param);
    float[] g = data(grad);
    float[] ms = data(m);
    float[] vs = data(v);
    int len = count(n, p, g, ms, vs);
    float bc1 = (float) (1.0 - Math.pow(beta1, step));
    float bc2 = (float) (1.0 - Math.pow(beta2, step));
    float lrWd = lr * weightDecay;
    float omb1 = 1f - beta1;
    float omb2 = 1f - beta2;
    par.forRange(len, GRAIN / 2,
        (lo, hi) -> k.adamw(lo, hi, p, g, ms, vs, lr, lrWd, beta1, omb1, beta2, omb2, bc1, bc2, eps));
  }

  @Override
  public void sgd(long n, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer velocity, float lr,
      float momentum, float weightDecay) {
    float[] p = data(param);
    float[] g = data(grad);
    float[] vel = data(velocity);
    int len = count(n, p, g, vel);
    par.forRange(len, GRAIN, (lo, hi) -> k.sgd(lo, hi, p, g, vel, lr, momentum, weightDecay));
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    par.close();
    executor.shutdown();
    memory.clearPool();
  }

  // ---------------------------------------------------------------- argument checks

  private CpuBuffer own(DeviceBuffer buffer) {
    if (!(buffer instanceof CpuBuffer b) || b.backend() != this) {
      throw new IllegalArgumentException("buffer " + buffer + " does not belong to " + this);
    }
    return b;
  }

  private CpuIntBuffer ownInts(DeviceIntBuffer buffer) {
    if (!(buffer instanceof CpuIntBuffer b) || b.backend() != this) {
      throw new IllegalArgumentException("int buffer " + buffer + " does not belong to " + this);
    }
    return b;
  }

  private float[] data(DeviceBuffer buffer) {
    return own(buffer).data();
  }

  private int[] ints(DeviceIntBuffer buffer) {
    return ownInts(buffer).data();
  }

  private static int range(float[] x, long offset, long n, String what) {
    if (offset < 0 || n < 0 || offset + n > x.length) {
      throw new IllegalArgumentException(what + " range [" + offset + ", +" + n
          + ") outside buffer of " + x.length);
    }
    return (int) offset;
  }

  private static void checkHost(int length, int offset, int n, String what) {
    if (offset < 0 || n < 0 || (long) offset + n > length) {
      throw new IllegalArgumentException(what + " host range [" + offset + ", +" + n
          + ") outside array of " + length);
    }
  }

  /** Checks {@code 0 <= n <= length} of every array and returns n. */
  private static int count(long n, float[]... arrays) {
    if (n < 0) {
      throw new IllegalArgumentException("element count must be >= 0, got " + n);
    }
    for (float[] a : arrays) {
      if (n > a.length) {
        throw new IllegalArgumentException(n + " elements requested, buffer has " + a.length);
      }
    }
    return (int) n;
  }

  private static void checkMatrix(float[] x, long rows, int cols, String what) {
    if (rows < 0 || cols < 0) {
      throw new IllegalArgumentException(what + ": rows and cols must be >= 0: " + rows + ", " + cols);
    }
    if (rows * cols > x.length) {
      throw new IllegalArgumentException(what + " needs " + rows + " x " + cols
          + " elements, buffer has " + x.length);
    }
  }

  private static int rowGrain(int cols) {
    return Math.max(1, GRAIN / Math.max(1, cols));
  }

  private static int columnGrain(int rows) {
    return Math.max(64, GRAIN / Math.max(1, rows));
  }
}
