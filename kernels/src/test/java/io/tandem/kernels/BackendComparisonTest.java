package io.tandem.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The comparison harness itself, on two CPU backends (scalar kernels, 1 thread, against the
 * default kernels, 2 threads), so it is exercised on every build, GPU or not.
 */
class BackendComparisonTest {
  @Test
  void twoCpuBackendsAgreeOnEveryOp() {
    try (CpuBackend scalar = CpuBackend.create(1, CpuBackend.Kernels.SCALAR);
        CpuBackend auto = CpuBackend.create(2)) {
      List<BackendComparison.Result> results = new BackendComparison(scalar, auto, 42).all(1e-5);
      String table = BackendComparison.table(results);
      assertTrue(results.size() >= 28, table);
      assertTrue(results.stream().allMatch(BackendComparison.Result::passed), table);
      assertEquals(0, scalar.allocatedBytes(), "harness frees its buffers");
      assertEquals(0, auto.allocatedBytes(), "harness frees its buffers");
      assertTrue(table.contains(results.size() + "/" + results.size() + " ops agree"), table);
    }
  }

  @Test
  void identicalBackendsGiveZeroError() {
    try (CpuBackend a = CpuBackend.create(1, CpuBackend.Kernels.SCALAR);
        CpuBackend b = CpuBackend.create(2, CpuBackend.Kernels.SCALAR)) {
      for (BackendComparison.Result r : new BackendComparison(a, b, 7).gemms(0)) {
        assertEquals(0.0, r.error(), r.op());
      }
    }
  }

  @Test
  void errorIsRelativeWithAnRmsFloor() {
    float[] ref = {3f, -4f, 0f, 0f};  // rms 2.5
    assertEquals(0.0, BackendComparison.error(ref.clone(), ref));
    assertEquals(0.1 / 2.5, BackendComparison.error(new float[] {3f, -4f, 0f, 0.1f}, ref), 1e-7);
    assertEquals(0.3 / 5.5, BackendComparison.error(new float[] {3.3f, -4f, 0f, 0f}, ref), 1e-6);
    assertTrue(Double.isNaN(BackendComparison.error(new float[] {Float.NaN, -4f, 0f, 0f}, ref)));
    float[] nan = {Float.NaN, 1f};
    assertEquals(0.0, BackendComparison.error(nan.clone(), nan), "NaN on both sides agrees");
    assertEquals(Double.POSITIVE_INFINITY, BackendComparison.error(new float[3], new float[4]));
  }

  @Test
  void nanErrorFails() {
    assertFalse(new BackendComparison.Result("x", Double.NaN, 1).passed());
    assertFalse(new BackendComparison.Result("x", 2e-4, 1e-4).passed());
    assertTrue(new BackendComparison.Result("x", 1e-4, 1e-4).passed());
  }
}
