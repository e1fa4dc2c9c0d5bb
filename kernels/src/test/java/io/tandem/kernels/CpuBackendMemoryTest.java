package io.tandem.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Allocation, pooling, accounting, ownership checks and the executor. */
class CpuBackendMemoryTest {

  @Test
  void allocate_countsLiveBytesAndPeak() {
    try (CpuBackend be = CpuBackend.create(1)) {
      DeviceBuffer a = be.allocate(100);
      DeviceIntBuffer ids = be.allocateInts(10);
      assertEquals(440, be.allocatedBytes());
      DeviceBuffer b = be.allocate(50);
      assertEquals(640, be.peakAllocatedBytes());
      be.free(a);
      be.free(ids);
      assertEquals(200, be.allocatedBytes());
      assertEquals(640, be.peakAllocatedBytes());
      be.resetPeak();
      assertEquals(200, be.peakAllocatedBytes());
      be.free(b);
      assertEquals(0, be.allocatedBytes());
      assertEquals(640, be.pooledBytes());
    }
  }

  @Test
  void freedArray_isReusedZeroFilled() {
    try (CpuBackend be = CpuBackend.create(1)) {
      DeviceBuffer a = be.allocate(64);
      be.fill(a, 0, 64, 5f);
      be.free(a);
      DeviceBuffer b = be.allocate(64);
      assertEquals(0, be.pooledBytes());
      float[] host = new float[64];
      be.download(b, 0, host, 0, 64);
      for (float v : host) {
        assertEquals(0f, v);
      }
      DeviceIntBuffer i = be.allocateInts(8);
      be.uploadInts(new int[] {1, 2, 3, 4, 5, 6, 7, 8}, 0, i, 0, 8);
      be.free(i);
      assertEquals(8, be.allocateInts(8).length());
    }
  }

  @Test
  void misuse_isRejected() {
    try (CpuBackend be = CpuBackend.create(1); CpuBackend other = CpuBackend.create(1)) {
      DeviceBuffer a = be.allocate(4);
      be.free(a);
      assertThrows(IllegalArgumentException.class, () -> be.free(a));
      assertThrows(IllegalArgumentException.class, () -> be.fill(a, 0, 1, 1f));
      DeviceBuffer foreign = other.allocate(4);
      assertThrows(IllegalArgumentException.class, () -> be.free(foreign));
      assertThrows(IllegalArgumentException.class, () -> be.scale(4, 2f, foreign));
      assertThrows(IllegalArgumentException.class, () -> be.allocate(-1));
      DeviceBuffer b = be.allocate(4);
      assertThrows(IllegalArgumentException.class,
          () -> be.upload(new float[8], 0, b, 1, 4));
      assertThrows(IllegalArgumentException.class,
          () -> be.download(b, 0, new float[2], 0, 4));
      assertThrows(IllegalArgumentException.class, () -> CpuBackend.create(0));
    }
  }

  @Test
  void executor_isOneThreadAndStopsOnClose() throws Exception {
    CpuBackend be = CpuBackend.create(2);
    Thread first = CompletableFuture.supplyAsync(Thread::currentThread, be.executor())
        .get(10, TimeUnit.SECONDS);
    Thread second = CompletableFuture.supplyAsync(Thread::currentThread, be.executor())
        .get(10, TimeUnit.SECONDS);
    assertEquals(first, second);
    assertNotEquals(Thread.currentThread(), first);
    assertEquals("cpu", be.info().kind());
    assertEquals(2, be.info().threads());
    be.close();
    first.join(10_000);
    assertEquals(Thread.State.TERMINATED, first.getState());
  }
}
