package io.tandem.kernels;

import static io.tandem.kernels.CpuTestSupport.get;
import static io.tandem.kernels.CpuTestSupport.put;
import static io.tandem.kernels.CpuTestSupport.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** GEMM against a double-precision reference loop, on both kernel paths. */
class CpuBackendGemmTest {

  static List<Arguments> cases() {
    int[][] sizes = {
      {1, 1, 1}, {3, 5, 2}, {7, 13, 5}, {4, 16, 8}, {33, 17, 65}, {70, 40, 300},
      {130, 37, 20}, {16, 300, 9}, {150, 170, 260}, {1000, 24, 200}, {20, 1000, 200},
      {5, 4, 0}
    };
    List<Arguments> out = new ArrayList<>();
    for (CpuBackend.Kernels path : CpuTestSupport.paths()) {
      for (int[] s : sizes) {
        for (int t = 0; t < 4; t++) {
          out.add(Arguments.of(path, (t & 1) != 0, (t & 2) != 0, s[0], s[1], s[2]));
        }
      }
    }
    return out;
  }

  /** op(A)[i][p] for a stored row-major matrix. */
  private static double at(float[] x, int off, int ld, boolean trans, int i, int p) {
    return trans ? x[off + p * ld + i] : x[off + i * ld + p];
  }

  @ParameterizedTest(name = "{0} transA={1} transB={2} {3}x{4}x{5}")
  @MethodSource("cases")
  void gemm_matchesDoubleReference(CpuBackend.Kernels path, boolean ta, boolean tb, int m, int n,
      int k) {
    SplittableRandom r = new SplittableRandom(31L * m + 7L * n + k);
    int aOff = 5;
    int bOff = 2;
    int cOff = 9;
    int lda = (ta ? m : k) + 3;
    int ldb = (tb ? k : n) + 1;
    int ldc = n + 4;
    float[] a = random(r, aOff + (ta ? k : m) * lda + 1);
    float[] b = random(r, bOff + (tb ? n : k) * ldb + 1);
    float[] c0 = random(r, cOff + m * ldc + 2);
    float alpha = 0.75f;
    float beta = -1.25f;
    for (float bet : new float[] {beta, 0f, 1f}) {
      float[] c = c0.clone();
      if (bet == 0f) {
        for (int i = 0; i < m; i++) {
          Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, Float.NaN);
        }
      }
      try (CpuBackend be = CpuBackend.create(2, path)) {
        DeviceBuffer da = put(be, a);
        DeviceBuffer db = put(be, b);
        DeviceBuffer dc = put(be, c);
        be.gemm(ta, tb, m, n, k, alpha, da, aOff, lda, db, bOff, ldb, bet, dc, cOff, ldc);
        float[] got = get(be, dc);
        for (int idx = 0; idx < c.length; idx++) {
          int i = (idx - cOff) / ldc;
          int j = (idx - cOff) % ldc;
          boolean inside = idx >= cOff && i < m && j < n;
          if (!inside) {
            assertEquals(c[idx], got[idx], 0f, "element outside C changed at " + idx);
            continue;
          }
          double sum = 0;
          double mag = 0;
          for (int p = 0; p < k; p++) {
            double prod = at(a, aOff, lda, ta, i, p) * at(b, bOff, ldb, tb, p, j);
            sum += prod;
            mag += Math.abs(prod);
          }
          double old = bet == 0f ? 0 : c[idx];
          double want = alpha * sum + bet * old;
          double tol = 1e-5 * (Math.abs(alpha) * mag + Math.abs(bet * old)) + 1e-6;
          assertTrue(Math.abs(got[idx] - want) <= tol,
              "C[" + i + "][" + j + "] = " + got[idx] + ", want " + want + " (beta " + bet + ")");
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("paths")
  void gemmStridedBatched_matchesOneGemmPerProblem(CpuBackend.Kernels path) {
    SplittableRandom r = new SplittableRandom(77);
    int m = 24;
    int n = 20;
    int k = 18;
    int batch = 5;
    long sa = (long) m * k + 3;
    long sb = (long) k * n + 1;
    long sc = (long) m * n + 2;
    float[] a = random(r, (int) (sa * batch) + 4);
    float[] b = random(r, (int) (sb * batch) + 4);
    float[] c = random(r, (int) (sc * batch) + 4);
    for (int i = 0; i < c.length; i += 3) {
      c[i] = Float.NaN;
    }
    try (CpuBackend be = CpuBackend.create(3, path)) {
      DeviceBuffer da = put(be, a);
      DeviceBuffer db = put(be, b);
      DeviceBuffer batched = put(be, c);
      DeviceBuffer single = put(be, c);
      be.gemmStridedBatched(true, false, m, n, k, 1f, da, 1, m, sa, db, 2, n, sb, 0f, batched, 3,
          n, sc, batch);
      for (int i = 0; i < batch; i++) {
        be.gemm(true, false, m, n, k, 1f, da, 1 + i * sa, m, db, 2 + i * sb, n, 0f, single,
            3 + i * sc, n);
      }
      float[] want = get(be, single);
      float[] got = get(be, batched);
      for (int i = 0; i < want.length; i++) {
        assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(got[i]), "at " + i);
      }
      for (int i = 0; i < batch; i++) {
        assertTrue(Float.isFinite(got[(int) (3 + i * sc)]), "beta 0 must ignore NaN");
      }
    }
  }

  static List<CpuBackend.Kernels> paths() {
    return CpuTestSupport.paths();
  }

  @ParameterizedTest
  @MethodSource("paths")
  void gemm_rejectsBadShapes(CpuBackend.Kernels path) {
    try (CpuBackend be = CpuBackend.create(1, path)) {
      DeviceBuffer a = be.allocate(12);
      DeviceBuffer b = be.allocate(12);
      DeviceBuffer c = be.allocate(9);
      assertThrows(IllegalArgumentException.class,
          () -> be.gemm(false, false, 3, 3, 4, 1f, a, 0, 3, b, 0, 3, 0f, c, 0, 3));
      assertThrows(IllegalArgumentException.class,
          () -> be.gemm(false, false, 3, 3, 4, 1f, a, 1, 4, b, 0, 3, 0f, c, 0, 3));
      assertThrows(IllegalArgumentException.class,
          () -> be.gemm(false, false, -1, 3, 4, 1f, a, 0, 4, b, 0, 3, 0f, c, 0, 3));
      try (CpuBackend other = CpuBackend.create(1, path)) {
        DeviceBuffer foreign = other.allocate(12);
        assertThrows(IllegalArgumentException.class,
            () -> be.gemm(false, false, 3, 3, 4, 1f, foreign, 0, 4, b, 0, 3, 0f, c, 0, 3));
      }
      be.gemm(false, false, 3, 3, 4, 1f, a, 0, 4, b, 0, 3, 0f, c, 0, 3);
    }
  }
}
