package io.tandem.kernels;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Runs every {@link Backend} op on a candidate backend and on a reference backend with the same
 * seeded random inputs and measures how far apart the outputs are. Shapes are deliberately
 * awkward: not multiples of any tile size, with offsets, padded leading dimensions, overlapping
 * copies, ignored rows and repeated ids. Used by the CUDA tests (candidate CUDA, reference CPU)
 * and by {@code tandem bench gpu-check}.
 *
 * <p>Error of an output: {@code max_i |c_i - r_i| / (|r_i| + rms(r))}, a relative error whose
 * floor is the output's typical magnitude, so entries that cancel to nearly zero are judged at
 * the scale of their terms. Every output of an op is compared and the largest error counts.
 */
public final class BackendComparison {
  /** The agreement {@code gpu-check} and the CUDA tests require for FP32 ops. */
  public static final double FP32_TOLERANCE = 1e-4;
  /** The agreement required of TF32 tensor-core GEMM (inputs rounded to 10 mantissa bits). */
  public static final double TF32_TOLERANCE = 1e-2;

  /**
   * One compared op.
   *
   * @param op the op and its shape, e.g. {@code gemm nt 131x77x301}
   * @param error the largest error over its outputs (NaN when an output was NaN on one side only)
   * @param tolerance the largest error accepted
   */
  public record Result(String op, double error, double tolerance) {
    /** Whether the candidate agreed with the reference. */
    public boolean passed() {
      return error <= tolerance;  // false for NaN
    }
  }

  private final Backend candidate;
  private final Backend reference;
  private final long seed;

  /** Compares {@code candidate} against {@code reference}, inputs drawn from {@code seed}. */
  public BackendComparison(Backend candidate, Backend reference, long seed) {
    this.candidate = candidate;
    this.reference = reference;
    this.seed = seed;
  }

  /** Every op, each against {@code tolerance}. */
  public List<Result> all(double tolerance) {
    List<Result> out = new ArrayList<>();
    out.add(fill(tolerance));
    out.add(copy(tolerance));
    out.add(copyOverlapping(tolerance));
    out.add(axpy(tolerance));
    out.add(add(tolerance));
    out.add(scale(tolerance));
    out.add(sumOfSquares(tolerance));
    out.addAll(gemms(tolerance));
    out.add(biasAdd(tolerance));
    out.add(biasGrad(tolerance));
    out.add(gelu(tolerance));
    out.add(geluBackward(tolerance));
    out.add(layerNorm(tolerance));
    out.add(layerNormBackward(tolerance));
    out.add(softmax(tolerance));
    out.add(causalSoftmax(tolerance));
    out.add(softmaxBackward(tolerance));
    out.add(crossEntropy(tolerance));
    out.add(embedding(tolerance));
    out.add(adamw(tolerance));
    out.add(sgd(tolerance));
    return out;
  }

  /** GEMM in all four transpose combinations, with alpha/beta, offsets, padding, and batched. */
  public List<Result> gemms(double tolerance) {
    List<Result> out = new ArrayList<>();
    for (boolean ta : new boolean[] {false, true}) {
      for (boolean tb : new boolean[] {false, true}) {
        out.add(gemm(ta, tb, 131, 77, 301, 0.7f, 0.3f, 1, tolerance));
      }
    }
    out.add(gemm(false, false, 256, 256, 64, 1f, 0f, 1, tolerance));   // whole tiles, beta 0 over NaN
    out.add(gemm(true, false, 5, 3, 1, 1f, 1f, 1, tolerance));        // tiny
    out.add(gemm(false, true, 40, 33, 70, 1.5f, 0.5f, 3, tolerance));  // strided batched
    out.add(gemm(false, false, 9, 10, 0, 1f, 0.25f, 1, tolerance));   // k = 0: C = beta C
    return out;
  }

  // ---------------------------------------------------------------- ops

  private Result fill(double tol) {
    return run("fill offset", tol, s -> {
      Pair x = s.input(1000);
      s.both(b -> b.fill(x.on(b), 13, 900, 0.375f));
      s.output(x);
    });
  }

  private Result copy(double tol) {
    return run("copy offsets", tol, s -> {
      Pair a = s.input(1000);
      Pair b = s.input(1200);
      s.both(k -> k.copy(a.on(k), 7, b.on(k), 100, 990));
      s.output(b);
    });
  }

  private Result copyOverlapping(double tol) {
    return run("copy overlapping", tol, s -> {
      Pair a = s.input(1000);
      s.both(k -> k.copy(a.on(k), 0, a.on(k), 10, 900));
      s.both(k -> k.copy(a.on(k), 50, a.on(k), 20, 500));
      s.output(a);
    });
  }

  private Result axpy(double tol) {
    return run("axpy 100003", tol, s -> {
      Pair x = s.input(100_003);
      Pair y = s.input(100_003);
      s.both(k -> k.axpy(100_003, -0.625f, x.on(k), y.on(k)));
      s.output(y);
    });
  }

  private Result add(double tol) {
    return run("add (out aliases a)", tol, s -> {
      Pair a = s.input(5000);
      Pair b = s.input(5000);
      s.both(k -> k.add(4999, a.on(k), b.on(k), a.on(k)));
      s.output(a);
    });
  }

  private Result scale(double tol) {
    return run("scale", tol, s -> {
      Pair x = s.input(70_001);
      s.both(k -> k.scale(70_000, 1.75f, x.on(k)));
      s.output(x);
    });
  }

  private Result sumOfSquares(double tol) {
    return run("sumOfSquares 1000003", tol, s -> {
      Pair x = s.input(1_000_010);
      s.scalar(candidate.sumOfSquares(x.c, 7, 1_000_003), reference.sumOfSquares(x.r, 7, 1_000_003));
    });
  }

  private Result gemm(boolean ta, boolean tb, int m, int n, int k, float alpha, float beta, int batch,
      double tol) {
    String name = "gemm " + (ta ? "t" : "n") + (tb ? "t" : "n") + " " + m + "x" + n + "x" + k
        + (batch > 1 ? " batch " + batch : "") + (beta == 0 ? " beta 0" : "");
    return run(name, tol, s -> {
      int aRows = ta ? k : m;
      int aCols = ta ? m : k;
      int bRows = tb ? n : k;
      int bCols = tb ? k : n;
      int lda = aCols + 3;
      int ldb = bCols + 5;
      int ldc = n + 2;
      long sa = (long) aRows * lda + 11;
      long sb = (long) bRows * ldb + 13;
      long sc = (long) m * ldc + 17;
      long aOff = 4;
      long bOff = 6;
      long cOff = 8;
      Pair a = s.input(aOff + sa * batch);
      Pair b = s.input(bOff + sb * batch);
      Pair c = s.input(cOff + sc * batch);
      if (beta == 0) {
        s.both(q -> q.fill(c.on(q), 0, c.length, Float.NaN));  // must be ignored
      }
      s.both(q -> q.gemmStridedBatched(ta, tb, m, n, k, alpha, a.on(q), aOff, lda, sa,
          b.on(q), bOff, ldb, sb, beta, c.on(q), cOff, ldc, sc, batch));
      s.output(c, batch, cOff, sc, m, n, ldc);
    });
  }

  private Result biasAdd(double tol) {
    return run("biasAdd 301x70", tol, s -> {
      Pair out = s.input(301 * 70);
      Pair bias = s.input(70);
      s.both(k -> k.biasAdd(out.on(k), bias.on(k), 301, 70));
      s.output(out);
    });
  }

  private Result biasGrad(double tol) {
    return run("biasGrad 1000x70 (accumulates)", tol, s -> {
      Pair d = s.input(1000 * 70);
      Pair db = s.input(70);
      s.both(k -> k.biasGrad(d.on(k), db.on(k), 1000, 70));
      s.output(db);
    });
  }

  private Result gelu(double tol) {
    return run("gelu", tol, s -> {
      Pair x = s.input(10_007, 4f);
      Pair y = s.input(10_007);
      s.both(k -> k.gelu(10_007, x.on(k), y.on(k)));
      s.output(y);
    });
  }

  private Result geluBackward(double tol) {
    return run("geluBackward", tol, s -> {
      Pair x = s.input(10_007, 4f);
      Pair dy = s.input(10_007);
      Pair dx = s.input(10_007);
      s.both(k -> k.geluBackward(10_007, x.on(k), dy.on(k), dx.on(k)));
      s.output(dx);
    });
  }

  private Result layerNorm(double tol) {
    int rows = 65;
    int cols = 300;
    return run("layerNorm 65x300", tol, s -> {
      Pair x = s.input(rows * cols, 3f);
      Pair g = s.input(cols);
      Pair b = s.input(cols);
      Pair y = s.input(rows * cols);
      Pair mean = s.input(rows);
      Pair rstd = s.input(rows);
      s.both(k -> k.layerNorm(x.on(k), g.on(k), b.on(k), y.on(k), mean.on(k), rstd.on(k), rows, cols, 1e-5f));
      s.output(y);
      s.output(mean);
      s.output(rstd);
    });
  }

  private Result layerNormBackward(double tol) {
    int rows = 300;
    int cols = 129;
    return run("layerNorm backward 300x129 (B and W)", tol, s -> {
      Pair x = s.input(rows * cols, 2f);
      Pair g = s.input(cols);
      Pair b = s.input(cols);
      Pair y = s.input(rows * cols);
      Pair mean = s.input(rows);
      Pair rstd = s.input(rows);
      Pair dy = s.input(rows * cols);
      Pair dx = s.input(rows * cols);
      Pair dg = s.input(cols);
      Pair db = s.input(cols);
      s.both(k -> k.layerNorm(x.on(k), g.on(k), b.on(k), y.on(k), mean.on(k), rstd.on(k), rows, cols, 1e-5f));
      s.both(k -> k.layerNormBackwardInput(dy.on(k), x.on(k), g.on(k), mean.on(k), rstd.on(k), dx.on(k), rows,
          cols));
      s.both(k -> k.layerNormBackwardWeight(dy.on(k), x.on(k), mean.on(k), rstd.on(k), dg.on(k), db.on(k),
          rows, cols));
      s.output(dx);
      s.output(dg);
      s.output(db);
    });
  }

  private Result softmax(double tol) {
    return run("softmax 33x1000", tol, s -> {
      Pair x = s.input(33 * 1000, 5f);
      Pair y = s.input(33 * 1000);
      s.both(k -> k.softmax(x.on(k), y.on(k), 33, 1000));
      s.output(y);
    });
  }

  private Result causalSoftmax(double tol) {
    return run("causalSoftmax 6x37x37", tol, s -> {
      Pair x = s.input(6 * 37 * 37, 5f);
      Pair y = s.input(6 * 37 * 37);
      s.both(k -> k.causalSoftmax(x.on(k), y.on(k), 6, 37, 0.125f));
      s.output(y);
    });
  }

  private Result softmaxBackward(double tol) {
    return run("softmaxBackward (causal probs) 222x37", tol, s -> {
      Pair x = s.input(6 * 37 * 37, 5f);
      Pair y = s.input(6 * 37 * 37);
      Pair dy = s.input(6 * 37 * 37);
      Pair dx = s.input(6 * 37 * 37);
      s.both(k -> k.causalSoftmax(x.on(k), y.on(k), 6, 37, 0.125f));
      s.both(k -> k.softmaxBackward(y.on(k), dy.on(k), dx.on(k), 6 * 37, 37, 0.125f));
      s.output(dx);
    });
  }

  private Result crossEntropy(double tol) {
    int rows = 50;
    int vocab = 1000;
    return run("crossEntropy 50x1000 (one ignored row)", tol, s -> {
      Pair logits = s.input(rows * vocab, 6f);
      int[] t = new int[rows];
      for (int i = 0; i < rows; i++) {
        t[i] = s.random.nextInt(vocab);
      }
      t[7] = -1;
      Ints targets = s.ints(t);
      Pair losses = s.input(rows);
      Pair d = s.input(rows * vocab);
      s.both(k -> k.crossEntropy(logits.on(k), targets.on(k), losses.on(k), d.on(k), rows, vocab, 1f / rows));
      s.output(losses);
      s.output(d);
    });
  }

  private Result embedding(double tol) {
    int vocab = 50;
    int dim = 70;
    int rows = 300;
    return run("embedding gather and scatter-add 300x70 (repeated ids)", tol, s -> {
      Pair table = s.input(vocab * dim);
      int[] id = new int[rows];
      for (int i = 0; i < rows; i++) {
        id[i] = s.random.nextInt(vocab);
      }
      Ints ids = s.ints(id);
      Pair out = s.input(rows * dim);
      Pair dOut = s.input(rows * dim);
      Pair dTable = s.input(vocab * dim);
      s.both(k -> k.embeddingForward(table.on(k), ids.on(k), out.on(k), rows, dim));
      s.both(k -> k.embeddingBackward(dOut.on(k), ids.on(k), dTable.on(k), rows, dim));
      s.output(out);
      s.output(dTable);
    });
  }

  private Result adamw(double tol) {
    return run("adamw step 3", tol, s -> {
      int n = 20_011;
      Pair p = s.input(n);
      Pair g = s.input(n);
      Pair m = s.input(n, 0.1f);
      Pair v = s.positive(n, 0.01f);
      s.both(k -> k.adamw(n, p.on(k), g.on(k), m.on(k), v.on(k), 1e-3f, 0.9f, 0.999f, 1e-8f, 0.1f, 3));
      s.output(p);
      s.output(m);
      s.output(v);
    });
  }

  private Result sgd(double tol) {
    return run("sgd momentum", tol, s -> {
      int n = 20_011;
      Pair p = s.input(n);
      Pair g = s.input(n);
      Pair vel = s.input(n);
      s.both(k -> k.sgd(n, p.on(k), g.on(k), vel.on(k), 0.05f, 0.9f, 0.01f));
      s.output(p);
      s.output(vel);
    });
  }

  // ---------------------------------------------------------------- harness

  private Result run(String op, double tolerance, Consumer<Session> body) {
    try (Session s = new Session(op)) {
      body.accept(s);
      return new Result(op, s.error, tolerance);
    }
  }

  /** A buffer on each backend holding the same values. */
  private final class Pair {
    final DeviceBuffer c;
    final DeviceBuffer r;
    final int length;

    Pair(float[] values) {
      length = values.length;
      c = candidate.allocate(length);
      r = reference.allocate(length);
      candidate.upload(values, 0, c, 0, length);
      reference.upload(values, 0, r, 0, length);
    }

    DeviceBuffer on(Backend b) {
      return b == candidate ? c : r;
    }
  }

  /** An int buffer on each backend holding the same values. */
  private final class Ints {
    final DeviceIntBuffer c;
    final DeviceIntBuffer r;

    Ints(int[] values) {
      c = candidate.allocateInts(values.length);
      r = reference.allocateInts(values.length);
      candidate.uploadInts(values, 0, c, 0, values.length);
      reference.uploadInts(values, 0, r, 0, values.length);
    }

    DeviceIntBuffer on(Backend b) {
      return b == candidate ? c : r;
    }
  }

  /** The buffers and running error of one compared op; frees everything at the end. */
  private final class Session implements AutoCloseable {
    final SplittableRandom random;
    final List<Pair> pairs = new ArrayList<>();
    final List<Ints> ints = new ArrayList<>();
    double error;

    Session(String op) {
      random = new SplittableRandom(seed ^ op.hashCode());
    }

    Pair input(long length) {
      return input(length, 1f);
    }

    /** Uniform values in {@code [-range, range)}. */
    Pair input(long length, float range) {
      float[] v = new float[Math.toIntExact(length)];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) ((random.nextDouble() * 2 - 1) * range);
      }
      return keep(new Pair(v));
    }

    /** Uniform values in {@code (0, range]}. */
    Pair positive(long length, float range) {
      float[] v = new float[Math.toIntExact(length)];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) ((1 - random.nextDouble()) * range);
      }
      return keep(new Pair(v));
    }

    Ints ints(int[] values) {
      Ints i = new Ints(values);
      ints.add(i);
      return i;
    }

    private Pair keep(Pair p) {
      pairs.add(p);
      return p;
    }

    void both(Consumer<Backend> op) {
      op.accept(candidate);
      op.accept(reference);
    }

    /** Compares the whole buffer. */
    void output(Pair p) {
      compare(download(candidate, p.c, p.length), download(reference, p.r, p.length));
    }

    /** Compares only the m x n matrices (ld, offset, stride) of a batched output. */
    void output(Pair p, int batch, long offset, long stride, int m, int n, int ld) {
      float[] c = download(candidate, p.c, p.length);
      float[] r = download(reference, p.r, p.length);
      int count = batch * m * n;
      float[] cm = new float[count];
      float[] rm = new float[count];
      int i = 0;
      for (int b = 0; b < batch; b++) {
        for (int row = 0; row < m; row++) {
          for (int col = 0; col < n; col++) {
            int at = Math.toIntExact(offset + b * stride + (long) row * ld + col);
            cm[i] = c[at];
            rm[i] = r[at];
            i++;
          }
        }
      }
      compare(cm, rm);
    }

    /** Compares two scalars by plain relative error. */
    void scalar(double c, double r) {
      error = combine(error, c == r ? 0 : Math.abs(c - r) / Math.abs(r));
    }

    private float[] download(Backend b, DeviceBuffer buf, int length) {
      float[] out = new float[length];
      b.download(buf, 0, out, 0, length);
      return out;
    }

    private void compare(float[] c, float[] r) {
      error = combine(error, BackendComparison.error(c, r));
    }

    @Override
    public void close() {
      for (Pair p : pairs) {
        candidate.free(p.c);
        reference.free(p.r);
      }
      for (Ints p : ints) {
        candidate.free(p.c);
        reference.free(p.r);
      }
    }
  }

  private static double combine(double a, double b) {
    return Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b);
  }

  /**
   * {@code max_i |c_i - r_i| / (|r_i| + rms(r))}; NaN when one side is NaN and the other is not
   * (both NaN counts as agreement), infinite on a length mismatch.
   */
  static double error(float[] c, float[] r) {
    if (c.length != r.length) {
      return Double.POSITIVE_INFINITY;
    }
    double sq = 0;
    for (float v : r) {
      if (!Float.isNaN(v)) {
        sq += (double) v * v;
      }
    }
    double rms = r.length == 0 ? 0 : Math.sqrt(sq / r.length);
    double worst = 0;
    for (int i = 0; i < c.length; i++) {
      boolean cn = Float.isNaN(c[i]);
      boolean rn = Float.isNaN(r[i]);
      if (cn || rn) {
        if (cn != rn) {
          return Double.NaN;
        }
        continue;
      }
      double diff = Math.abs((double) c[i] - r[i]);
      if (diff == 0) {
        continue;
      }
      worst = Math.max(worst, diff / (Math.abs(r[i]) + rms));
    }
    return worst;
  }

  /** A short text table of results, one line each, and a summary line. */
  public static String table(List<Result> results) {
    StringBuilder sb = new StringBuilder();
    int width = results.stream().mapToInt(r -> r.op().length()).max().orElse(2);
    sb.append(String.format("%-" + width + "s  %10s  %9s  %s%n", "op", "error", "tolerance", "result"));
    for (Result r : results) {
      sb.append(String.format("%-" + width + "s  %10.2e  %9.0e  %s%n", r.op(), r.error(), r.tolerance(),
          r.passed() ? "ok" : "FAIL"));
    }
    long ok = results.stream().filter(Result::passed).count();
    sb.append(ok).append('/').append(results.size()).append(" ops agree").append(System.lineSeparator());
    return sb.toString();
  }
}
