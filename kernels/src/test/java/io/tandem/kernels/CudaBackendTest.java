package io.tandem.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * CudaBackend on a real GPU, against the CPU backend. Skipped, with the probe's reason, where
 * no CUDA driver or device is found (CI, the build machine).
 */
@Tag("gpu")
@ExtendWith(RequiresCuda.class)
class CudaBackendTest {
  private static CudaBackend gpu;
  private static CpuBackend cpu;

  @BeforeAll
  static void open() {
    gpu = CudaBackend.open(0, GemmVariant.FP32);
    cpu = CpuBackend.create(2);
  }

  @AfterAll
  static void close() {
    if (gpu != null) {
      gpu.close();
    }
    if (cpu != null) {
      cpu.close();
    }
  }

  @Test
  void everyOpAgreesWithTheCpuWithin1e4() {
    List<BackendComparison.Result> results =
        new BackendComparison(gpu, cpu, 1).all(BackendComparison.FP32_TOLERANCE);
    assertTrue(results.stream().allMatch(BackendComparison.Result::passed), BackendComparison.table(results));
  }

  @Test
  void tf32GemmAgreesWithTheCpuWithin1e2() {
    try (CudaBackend tf32 = CudaBackend.open(0, GemmVariant.TF32)) {
      List<BackendComparison.Result> results =
          new BackendComparison(tf32, cpu, 2).gemms(BackendComparison.TF32_TOLERANCE);
      assertTrue(results.stream().allMatch(BackendComparison.Result::passed), BackendComparison.table(results));
    }
  }

  @Test
  void roundTripLargerThanTheStagingChunksIsExact() {
    int n = 3 * PinnedStaging.CHUNK_BYTES / 4 + 12_345;
    float[] v = new float[n];
    SplittableRandom r = new SplittableRandom(3);
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextDouble();
    }
    DeviceBuffer b = gpu.allocate(n + 10);
    gpu.upload(v, 0, b, 10, n);
    float[] back = new float[n];
    gpu.download(b, 10, back, 0, n);
    assertArrayEquals(v, back);
    int[] ids = {5, -1, 7};
    DeviceIntBuffer ib = gpu.allocateInts(3);
    gpu.uploadInts(ids, 0, ib, 0, 3);
    gpu.free(ib);
    gpu.free(b);
  }

  @Test
  void pooledBuffersComeBackZeroedAndAreCounted() {
    long before = gpu.allocatedBytes();
    gpu.resetPeak();
    DeviceBuffer a = gpu.allocate(1000);
    assertEquals(before + 4000, gpu.allocatedBytes());
    gpu.fill(a, 0, 1000, 7f);
    gpu.free(a);
    assertEquals(before, gpu.allocatedBytes());
    assertEquals(before + 4000, gpu.peakAllocatedBytes());
    assertTrue(gpu.pooledBytes() >= 4000);
    DeviceBuffer b = gpu.allocate(1000);
    float[] out = new float[1000];
    gpu.download(b, 0, out, 0, 1000);
    assertArrayEquals(new float[1000], out);
    gpu.free(b);
    gpu.trimPool();
    assertEquals(0, gpu.pooledBytes());
  }

  @Test
  void misuseIsAnIllegalArgument() {
    DeviceBuffer a = gpu.allocate(10);
    gpu.free(a);
    assertThrows(IllegalArgumentException.class, () -> gpu.free(a));
    assertThrows(IllegalArgumentException.class, () -> gpu.scale(10, 2f, a));
    DeviceBuffer foreign = cpu.allocate(10);
    assertThrows(IllegalArgumentException.class, () -> gpu.scale(10, 2f, foreign));
    cpu.free(foreign);
    DeviceBuffer c = gpu.allocate(10);
    assertThrows(IllegalArgumentException.class, () -> gpu.scale(11, 2f, c));
    assertThrows(IllegalArgumentException.class,
        () -> gpu.gemm(false, false, 3, 3, 3, 1f, c, 0, 3, c, 0, 3, 0f, c, 0, 3));
    gpu.free(c);
  }

  @Test
  void reductionsAreDeterministic() {
    int rows = 5000;
    int cols = 300;
    float[] v = new float[rows * cols];
    SplittableRandom r = new SplittableRandom(4);
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (r.nextDouble() - 0.5);
    }
    DeviceBuffer x = gpu.allocate(v.length);
    gpu.upload(v, 0, x, 0, v.length);
    double s1 = gpu.sumOfSquares(x, 0, v.length);
    double s2 = gpu.sumOfSquares(x, 0, v.length);
    assertEquals(s1, s2);
    float[][] grads = new float[2][cols];
    for (float[] g : grads) {
      DeviceBuffer db = gpu.allocate(cols);
      gpu.biasGrad(x, db, rows, cols);
      gpu.download(db, 0, g, 0, cols);
      gpu.free(db);
    }
    assertArrayEquals(grads[0], grads[1]);
    gpu.free(x);
  }

  @Test
  void executorThreadHasTheContext() throws Exception {
    double s = CompletableFuture.supplyAsync(() -> {
      DeviceBuffer b = gpu.allocate(4);
      gpu.upload(new float[] {1, 2, 3, 4}, 0, b, 0, 4);
      double v = gpu.sumOfSquares(b, 0, 4);
      gpu.free(b);
      return v;
    }, gpu.executor()).get(30, TimeUnit.SECONDS);
    assertEquals(30.0, s);
  }

  @Test
  void closedBackendRefusesWork() {
    CudaBackend other = CudaBackend.open(0, GemmVariant.FP32);
    DeviceBuffer b = other.allocate(8);
    other.close();
    other.close();
    assertThrows(IllegalStateException.class, () -> other.allocate(8));
    assertThrows(IllegalStateException.class, () -> other.scale(8, 1f, b));
  }
}
