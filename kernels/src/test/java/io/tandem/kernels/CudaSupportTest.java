package io.tandem.kernels;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The parts of the CUDA backend that run without a GPU: probe, argument checks, pool sizing. */
class CudaSupportTest {
  @Test
  void probeNeverThrowsAndExplainsAnAbsence() {
    CudaAvailability a = assertDoesNotThrow(CudaAvailability::probe);
    assertSame(a, CudaAvailability.probe(), "probed once");
    if (a.available()) {
      assertTrue(a.devices() > 0);
      assertEquals("", a.reason());
    } else {
      assertFalse(a.reason().isBlank());
      assertFalse(a.reason().contains("\n"), "one-line reason: " + a.reason());
      IllegalStateException e = assertThrows(IllegalStateException.class, a::require);
      assertTrue(e.getMessage().contains(a.reason()));
      assertThrows(IllegalStateException.class, () -> CudaBackend.open(0));
    }
  }

  @Test
  void missingDriverReasonIsShort() {
    String reason = CudaAvailability.describe(new UnsatisfiedLinkError(
        "Error while loading native library \"JCudaDriver-12.6.0-linux-x86_64\"\n...\n"
            + "/tmp/libJCudaDriver-12.6.0-linux-x86_64.so: libcuda.so.1: cannot open shared object file"));
    assertEquals("no libcuda.so.1 (NVIDIA driver not installed)", reason);
  }

  @Test
  void matrixChecksCoverLeadingDimensionOffsetAndBatch() {
    assertDoesNotThrow(() -> Checks.matrix(12, 0, 4, 3, 4, 0, 1, "A"));
    assertDoesNotThrow(() -> Checks.matrix(14, 2, 4, 3, 4, 0, 1, "A"));
    assertDoesNotThrow(() -> Checks.matrix(11, 0, 4, 3, 3, 0, 1, "A"));  // last row needs only 3
    assertThrows(IllegalArgumentException.class, () -> Checks.matrix(12, 1, 4, 3, 4, 0, 1, "A"));
    assertThrows(IllegalArgumentException.class, () -> Checks.matrix(100, 0, 3, 3, 4, 0, 1, "A"));
    assertDoesNotThrow(() -> Checks.matrix(36, 0, 4, 3, 4, 12, 3, "A"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Checks.matrix(35, 0, 4, 3, 4, 12, 3, "B"));
    assertTrue(e.getMessage().startsWith("B:"), e.getMessage());
    assertDoesNotThrow(() -> Checks.matrix(0, 5, 0, 0, 4, 0, 1, "empty"));
  }

  @Test
  void rangeAndCountChecks() {
    assertDoesNotThrow(() -> Checks.range(10, 3, 7, "x"));
    assertThrows(IllegalArgumentException.class, () -> Checks.range(10, 4, 7, "x"));
    assertThrows(IllegalArgumentException.class, () -> Checks.range(10, -1, 1, "x"));
    assertThrows(IllegalArgumentException.class, () -> Checks.range(10, Long.MAX_VALUE, 2, "x"));
    assertThrows(IllegalArgumentException.class, () -> Checks.count(5, "op", 8, 4));
    assertThrows(IllegalArgumentException.class, () -> Checks.count(-1, "op", 8));
    assertThrows(IllegalArgumentException.class, () -> Checks.host(3, 1, 3, "src"));
    assertThrows(IllegalArgumentException.class, () -> Checks.dense(11, 3, 4, "m"));
  }

  @Test
  void poolSizeClassesWasteUnder256BytesOrAQuarter() {
    assertEquals(256, CudaMemoryPool.sizeClass(0));
    assertEquals(256, CudaMemoryPool.sizeClass(256));
    assertEquals(512, CudaMemoryPool.sizeClass(257));
    assertEquals(4096, CudaMemoryPool.sizeClass(4096));
    assertEquals(5120, CudaMemoryPool.sizeClass(4097));
    for (long bytes = 1; bytes < 1L << 34; bytes = bytes * 3 + 7) {
      long size = CudaMemoryPool.sizeClass(bytes);
      assertTrue(size >= bytes, "class " + size + " < " + bytes);
      assertTrue(size - bytes < 256 || size <= bytes * 1.25, "class " + size + " wastes too much for " + bytes);
      assertEquals(size, CudaMemoryPool.sizeClass(size), "a class maps to itself");
    }
  }

  @Test
  void columnChunkingDependsOnRowsOnlyAndStaysWithinGridLimits() {
    assertEquals(64, CudaBackend.rowsPerChunk(1));
    assertEquals(64, CudaBackend.rowsPerChunk(8192));
    int rows = 10_000_000;
    int per = CudaBackend.rowsPerChunk(rows);
    assertTrue((rows + per - 1) / per <= 4096);
  }

  @Test
  void gemmVariantParsesNames() {
    assertEquals(GemmVariant.TF32, GemmVariant.parse(" tf32 "));
    assertEquals(GemmVariant.FP32, GemmVariant.parse("FP32"));
    assertThrows(IllegalArgumentException.class, () -> GemmVariant.parse("fp16"));
  }
}
