package io.tandem.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Same bits for 1, 2 and 3 threads on each path; vector and scalar paths agree to 1e-5. */
class CpuDeterminismTest {

  static Iterable<CpuBackend.Kernels> paths() {
    return CpuTestSupport.paths();
  }

  @ParameterizedTest
  @MethodSource("paths")
  void everyOp_anyThreadCount_givesIdenticalBits(CpuBackend.Kernels path) {
    Map<String, Function<Backend, double[]>> scenarios = CpuScenarios.all();
    try (CpuBackend one = CpuBackend.create(1, path);
        CpuBackend two = CpuBackend.create(2, path);
        CpuBackend three = CpuBackend.create(3, path)) {
      for (Map.Entry<String, Function<Backend, double[]>> e : scenarios.entrySet()) {
        double[] ref = e.getValue().apply(one);
        for (CpuBackend other : new CpuBackend[] {two, three}) {
          double[] got = e.getValue().apply(other);
          assertEquals(ref.length, got.length, e.getKey());
          for (int i = 0; i < ref.length; i++) {
            if (Double.doubleToLongBits(ref[i]) != Double.doubleToLongBits(got[i])) {
              throw new AssertionError(e.getKey() + " [" + path + ", " + other.threads()
                  + " threads] differs at " + i + ": " + ref[i] + " vs " + got[i]);
            }
          }
        }
      }
    }
  }

  @Test
  void vectorAndScalarPaths_agreeWithin1e5Relative() {
    assumeTrue(CpuBackend.vectorApiAvailable(), "jdk.incubator.vector not in the boot layer");
    try (CpuBackend scalar = CpuBackend.create(2, CpuBackend.Kernels.SCALAR);
        CpuBackend vector = CpuBackend.create(2, CpuBackend.Kernels.VECTOR)) {
      assertEquals(CpuBackend.Kernels.VECTOR, vector.kernels());
      for (Map.Entry<String, Function<Backend, double[]>> e : CpuScenarios.all().entrySet()) {
        double[] s = e.getValue().apply(scalar);
        double[] v = e.getValue().apply(vector);
        double scaleRef = 0;
        for (double x : s) {
          scaleRef = Math.max(scaleRef, Math.abs(x));
        }
        for (int i = 0; i < s.length; i++) {
          // relative to the element, or to a tenth of the output's scale where an element is
          // the result of cancellation (FMA versus multiply-add in the GEMM kernels)
          double tol = 1e-5 * Math.max(Math.abs(s[i]), 0.1 * scaleRef) + 1e-30;
          assertTrue(Math.abs(s[i] - v[i]) <= tol,
              e.getKey() + " at " + i + ": scalar " + s[i] + " vector " + v[i]);
        }
      }
    }
  }

  @Test
  void autoPath_followsModulePresence() {
    try (CpuBackend be = CpuBackend.create(1)) {
      assertEquals(CpuBackend.vectorApiAvailable() ? CpuBackend.Kernels.VECTOR
          : CpuBackend.Kernels.SCALAR, be.kernels());
    }
  }
}
