package io.tandem.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import jcuda.driver.CUdeviceptr;
import org.junit.jupiter.api.Test;

/** Launch-argument checking, which needs no GPU (JCuda pointers are plain Java objects). */
class CudaKernelTest {
  @Test
  void acceptsArgumentsOfTheDeclaredTypes() {
    assertNotNull(CudaKernel.AXPY.params(10L, 2f, new CUdeviceptr(), new CUdeviceptr()));
    assertNotNull(CudaKernel.SGEMM_NN.params(1, 2, 3, 1f, new CUdeviceptr(), 0L, 3, 0L,
        new CUdeviceptr(), 0L, 2, 0L, 0f, new CUdeviceptr(), 0L, 2, 0L));
  }

  @Test
  void rejectsAWrongTypeOrCount() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> CudaKernel.AXPY.params(10, 2f, new CUdeviceptr(), new CUdeviceptr()));
    assertTrue(e.getMessage().contains("axpy_f32 argument 0 must be I64, got Integer"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> CudaKernel.AXPY.params(10L, 2f, new CUdeviceptr()));
    assertThrows(IllegalStateException.class, () -> CudaKernel.SCALE.params(10L, 2.0, new CUdeviceptr()));
  }

  @Test
  void symbolsAreUnique() {
    Set<String> seen = new HashSet<>();
    Arrays.stream(CudaKernel.values()).forEach(k -> assertTrue(seen.add(k.symbol), k.symbol));
    assertEquals(CudaKernel.values().length, seen.size());
  }
}
