package io.tandem.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fake CUDA devices (the GPU path's test seam), device poisoning and the driver version message. */
class FakeCudaTest {
  @Test
  void fakeDevicesAreDiscoveredAsCudaWithOrdinals() {
    CudaDevices cuda = new CudaDevices(FakeCuda.of(2));
    List<LocalDevice> found = cuda.discover();
    assertEquals(2, found.size());
    for (int d = 0; d < 2; d++) {
      LocalDevice dev = found.get(d);
      assertEquals("cuda", dev.kind());
      assertEquals(d, dev.ordinal());
      assertTrue(dev.fake());
      assertEquals("9.0", dev.computeCapability());
      assertTrue(dev.memoryBytes() > 0);
    }
    assertTrue(cuda.availability().available());
    assertEquals(2, cuda.availability().devices());
  }

  @Test
  void fakeDeviceComputesLikeTheCpuBackendBitwise() {
    float[] a = new float[6 * 5];
    float[] b = new float[5 * 7];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) Math.sin(i);
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) Math.cos(i * 0.7);
    }
    try (Backend fake = new CudaDevices(FakeCuda.of(2)).open(1); Backend cpu = CpuBackend.create(1)) {
      assertEquals("cuda:1", fake.name());
      assertEquals("cuda", fake.info().kind());
      assertArrayEquals(gemm(cpu, a, b), gemm(fake, a, b));
    }
  }

  private static float[] gemm(Backend be, float[] a, float[] b) {
    DeviceBuffer da = be.allocate(a.length);
    DeviceBuffer db = be.allocate(b.length);
    DeviceBuffer dc = be.allocate(6 * 7);
    be.upload(a, 0, da, 0, a.length);
    be.upload(b, 0, db, 0, b.length);
    be.gemm(false, false, 6, 7, 5, 1f, da, 0, 5, db, 0, 7, 0f, dc, 0, 7);
    float[] c = new float[6 * 7];
    be.download(dc, 0, c, 0, c.length);
    return c;
  }

  @Test
  void openingAnOrdinalBeyondTheDevicesNamesBoth() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new CudaDevices(FakeCuda.of(2)).open(2));
    assertEquals("no CUDA device 2 (have 2 fake)", e.getMessage());
  }

  @Test
  void openLogRecordsTheLocalOrdinal(@TempDir Path dir) throws Exception {
    Path log = dir.resolve("opens.txt");
    CudaDevices cuda = new CudaDevices(new FakeCuda(2, Optional.empty(), Optional.of(log)));
    cuda.open(1).close();
    cuda.open(0).close();
    long pid = ProcessHandle.current().pid();
    assertEquals(List.of(pid + " 1", pid + " 0"), Files.readAllLines(log));
  }

  @Test
  void aDriverErrorPoisonsTheDevice_laterOpsFailFastWithTheSameLine() {
    FakeCuda settings = new FakeCuda(2, Optional.of(FakeCuda.Fault.parse("0:fill:2")), Optional.empty());
    List<String> told = new java.util.concurrent.CopyOnWriteArrayList<>();
    CudaDevices cuda = new CudaDevices(settings).onPoisoned(told::add);
    try (Backend dev = cuda.open(0); Backend other = cuda.open(1)) {
      DeviceBuffer buf = dev.allocate(4);
      dev.fill(buf, 0, 4, 1f);  // the first fill works
      DeviceFailedException first = assertThrows(DeviceFailedException.class, () -> dev.fill(buf, 0, 4, 2f));
      assertEquals("cuda:0 is unusable after a CUDA error in fill: cuLaunchKernel failed: CUDA_ERROR_ILLEGAL_ADDRESS"
          + " (fault injected by tandem.cuda.fake-fault in fill); its worker must restart", first.getMessage());
      assertFalse(first.getMessage().contains("\n"));
      DeviceFailedException later = assertThrows(DeviceFailedException.class,
          () -> dev.download(buf, 0, new float[4], 0, 4));
      assertEquals(first.getMessage(), later.getMessage());
      assertEquals(List.of(first.getMessage()), told, "the listener hears of it once");
      dev.free(buf);  // releasing a poisoned device's memory is quiet: it goes with the device
      DeviceBuffer ok = other.allocate(4);  // the fault is on ordinal 0 only
      other.fill(ok, 0, 4, 3f);
      other.fill(ok, 0, 4, 3f);
    }
  }

  @Test
  void faultSettingIsCheckedWithAnExample() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FakeCuda.Fault.parse("adamw"));
    assertEquals("tandem.cuda.fake-fault takes ordinal:op:occurrence (e.g. 1:adamw:1), got 'adamw'", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> FakeCuda.parse("two", "", ""));
    assertEquals(FakeCuda.none(), FakeCuda.parse("", "", ""));
  }

  @Test
  void tooOldDriverMessageNamesNeededAndFoundVersions() {
    assertEquals("the NVIDIA driver is too old for Tandem's CUDA kernels: they need CUDA 13.0 (driver 580 or newer),"
        + " found CUDA 12.4 (cuDriverGetVersion 12040); update the driver or use --backend cpu",
        DriverRequirement.check(12040).orElseThrow());
    assertEquals(Optional.empty(), DriverRequirement.check(13000));
    assertEquals(Optional.empty(), DriverRequirement.check(13010));
    assertEquals(Optional.empty(), DriverRequirement.check(0), "unknown version: the module load decides");
    assertEquals("12.8", DriverRequirement.version(12080));
  }
}
