package io.tandem.kernels;

import static io.tandem.kernels.CpuTestSupport.get;
import static io.tandem.kernels.CpuTestSupport.put;
import static io.tandem.kernels.CpuTestSupport.putInts;
import static io.tandem.kernels.CpuTestSupport.random;
import static io.tandem.kernels.CpuTestSupport.randomPositive;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * One seeded run of every op, big enough that each op splits its work across threads; each
 * scenario returns everything the op wrote. Used to compare thread counts and kernel paths.
 */
final class CpuScenarios {
  private CpuScenarios() {}

  static Map<String, Function<Backend, double[]>> all() {
    Map<String, Function<Backend, double[]>> s = new LinkedHashMap<>();
    s.put("axpy", be -> {
      SplittableRandom r = new SplittableRandom(1);
      DeviceBuffer x = put(be, random(r, 100_003));
      DeviceBuffer y = put(be, random(r, 100_003));
      be.axpy(100_003, 0.37f, x, y);
      return doubles(get(be, y));
    });
    s.put("add", be -> {
      SplittableRandom r = new SplittableRandom(2);
      DeviceBuffer a = put(be, random(r, 100_003));
      DeviceBuffer b = put(be, random(r, 100_003));
      DeviceBuffer o = be.allocate(100_003);
      be.add(100_003, a, b, o);
      return doubles(get(be, o));
    });
    s.put("scale", be -> {
      DeviceBuffer x = put(be, random(new SplittableRandom(3), 100_003));
      be.scale(100_003, -1.7f, x);
      return doubles(get(be, x));
    });
    s.put("fillCopy", be -> {
      DeviceBuffer x = put(be, random(new SplittableRandom(4), 1000));
      DeviceBuffer y = be.allocate(1000);
      be.fill(x, 10, 20, 3f);
      be.copy(x, 5, y, 100, 500);
      return doubles(get(be, y));
    });
    s.put("sumOfSquares", be -> {
      DeviceBuffer x = put(be, random(new SplittableRandom(5), 100_003));
      return new double[] {be.sumOfSquares(x, 0, 100_003), be.sumOfSquares(x, 17, 60_000)};
    });
    boolean[] tf = {false, true};
    for (boolean ta : tf) {
      for (boolean tb : tf) {
        s.put("gemm" + (ta ? "T" : "N") + (tb ? "T" : "N"), be -> gemm(be, ta, tb, 150, 170, 300));
        s.put("gemmSmall" + (ta ? "T" : "N") + (tb ? "T" : "N"), be -> gemm(be, ta, tb, 13, 29, 7));
        s.put("gemmTall" + (ta ? "T" : "N") + (tb ? "T" : "N"), be -> gemm(be, ta, tb, 1000, 24, 200));
        s.put("gemmWide" + (ta ? "T" : "N") + (tb ? "T" : "N"), be -> gemm(be, ta, tb, 20, 1000, 200));
      }
    }
    s.put("gemmBatched", be -> {
      SplittableRandom r = new SplittableRandom(6);
      int m = 64;
      int n = 64;
      int k = 32;
      int batch = 6;
      DeviceBuffer a = put(be, random(r, batch * m * k));
      DeviceBuffer b = put(be, random(r, batch * n * k));
      DeviceBuffer c = put(be, random(r, batch * m * n));
      be.gemmStridedBatched(false, true, m, n, k, 0.5f, a, 0, k, (long) m * k, b, 0, k,
          (long) n * k, 0.25f, c, 0, n, (long) m * n, batch);
      return doubles(get(be, c));
    });
    s.put("bias", be -> {
      SplittableRandom r = new SplittableRandom(7);
      DeviceBuffer o = put(be, random(r, 300 * 200));
      DeviceBuffer bias = put(be, random(r, 200));
      DeviceBuffer db = put(be, random(r, 200));
      be.biasAdd(o, bias, 300, 200);
      be.biasGrad(o, db, 300, 200);
      return concat(get(be, o), get(be, db));
    });
    s.put("gelu", be -> {
      SplittableRandom r = new SplittableRandom(8);
      float[] xh = random(r, 50_000);
      for (int i = 0; i < xh.length; i++) {
        xh[i] *= 6;
      }
      DeviceBuffer x = put(be, xh);
      DeviceBuffer dy = put(be, random(r, 50_000));
      DeviceBuffer y = be.allocate(50_000);
      DeviceBuffer dx = be.allocate(50_000);
      be.gelu(50_000, x, y);
      be.geluBackward(50_000, x, dy, dx);
      return concat(get(be, y), get(be, dx));
    });
    s.put("layerNorm", be -> {
      SplittableRandom r = new SplittableRandom(9);
      int rows = 300;
      int cols = 256;
      DeviceBuffer x = put(be, random(r, rows * cols));
      DeviceBuffer g = put(be, random(r, cols));
      DeviceBuffer bt = put(be, random(r, cols));
      DeviceBuffer dy = put(be, random(r, rows * cols));
      DeviceBuffer y = be.allocate(rows * cols);
      DeviceBuffer mean = be.allocate(rows);
      DeviceBuffer rstd = be.allocate(rows);
      DeviceBuffer dx = be.allocate(rows * cols);
      DeviceBuffer dg = put(be, random(r, cols));
      DeviceBuffer db = put(be, random(r, cols));
      be.layerNorm(x, g, bt, y, mean, rstd, rows, cols, 1e-5f);
      be.layerNormBackwardInput(dy, x, g, mean, rstd, dx, rows, cols);
      be.layerNormBackwardWeight(dy, x, mean, rstd, dg, db, rows, cols);
      return concat(get(be, y), get(be, mean), get(be, rstd), get(be, dx), get(be, dg),
          get(be, db));
    });
    s.put("softmax", be -> {
      SplittableRandom r = new SplittableRandom(10);
      DeviceBuffer x = put(be, random(r, 300 * 100));
      DeviceBuffer dy = put(be, random(r, 300 * 100));
      DeviceBuffer y = be.allocate(300 * 100);
      DeviceBuffer dx = be.allocate(300 * 100);
      be.softmax(x, y, 300, 100);
      be.softmaxBackward(y, dy, dx, 300, 100, 0.5f);
      return concat(get(be, y), get(be, dx));
    });
    s.put("causalSoftmax", be -> {
      SplittableRandom r = new SplittableRandom(11);
      int n = 8 * 64 * 64;
      DeviceBuffer x = put(be, random(r, n));
      DeviceBuffer p = be.allocate(n);
      be.causalSoftmax(x, p, 8, 64, 0.125f);
      return doubles(get(be, p));
    });
    s.put("crossEntropy", be -> {
      SplittableRandom r = new SplittableRandom(12);
      int rows = 64;
      int vocab = 500;
      int[] t = new int[rows];
      for (int i = 0; i < rows; i++) {
        t[i] = i % 7 == 3 ? -1 : r.nextInt(vocab);
      }
      DeviceBuffer x = put(be, random(r, rows * vocab));
      DeviceBuffer losses = be.allocate(rows);
      DeviceBuffer dl = be.allocate(rows * vocab);
      be.crossEntropy(x, putInts(be, t), losses, dl, rows, vocab, 1f / rows);
      return concat(get(be, losses), get(be, dl));
    });
    s.put("embedding", be -> {
      SplittableRandom r = new SplittableRandom(13);
      int rows = 500;
      int dim = 256;
      int vocab = 40;
      int[] ids = new int[rows];
      for (int i = 0; i < rows; i++) {
        ids[i] = r.nextInt(vocab);
      }
      DeviceIntBuffer id = putInts(be, ids);
      DeviceBuffer table = put(be, random(r, vocab * dim));
      DeviceBuffer out = be.allocate(rows * dim);
      DeviceBuffer dOut = put(be, random(r, rows * dim));
      DeviceBuffer dTable = put(be, random(r, vocab * dim));
      be.embeddingForward(table, id, out, rows, dim);
      be.embeddingBackward(dOut, id, dTable, rows, dim);
      return concat(get(be, out), get(be, dTable));
    });
    s.put("adamw", be -> {
      SplittableRandom r = new SplittableRandom(14);
      int n = 100_003;
      DeviceBuffer p = put(be, random(r, n));
      DeviceBuffer g = put(be, random(r, n));
      DeviceBuffer m = put(be, random(r, n));
      DeviceBuffer v = put(be, randomPositive(r, n));
      be.adamw(n, p, g, m, v, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 3);
      return concat(get(be, p), get(be, m), get(be, v));
    });
    s.put("sgd", be -> {
      SplittableRandom r = new SplittableRandom(15);
      int n = 100_003;
      DeviceBuffer p = put(be, random(r, n));
      DeviceBuffer g = put(be, random(r, n));
      DeviceBuffer vel = put(be, random(r, n));
      be.sgd(n, p, g, vel, 0.1f, 0.9f, 1e-4f);
      return concat(get(be, p), get(be, vel));
    });
    return s;
  }

  static double[] gemm(Backend be, boolean ta, boolean tb, int m, int n, int k) {
    SplittableRandom r = new SplittableRandom(100 + m + (ta ? 1 : 0) + (tb ? 2 : 0));
    DeviceBuffer a = put(be, random(r, m * k + 3));
    DeviceBuffer b = put(be, random(r, n * k + 5));
    DeviceBuffer c = put(be, random(r, m * n + 1));
    be.gemm(ta, tb, m, n, k, 1.5f, a, 3, ta ? m : k, b, 5, tb ? k : n, -0.5f, c, 1, n);
    return doubles(get(be, c));
  }

  static double[] doubles(float[] a) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = a[i];
    }
    return d;
  }

  static double[] concat(float[]... parts) {
    int n = 0;
    for (float[] p : parts) {
      n += p.length;
    }
    double[] out = new double[n];
    int o = 0;
    for (float[] p : parts) {
      for (float v : p) {
        out[o++] = v;
      }
    }
    return out;
  }
}
