package io.tandem.kernels;

import static io.tandem.kernels.CudaDriverException.check;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;

/**
 * The CUDA devices this process may open, by local ordinal: the real ones, or the
 * {@link FakeCuda} test devices when those are configured. Every device opened here is guarded:
 * a driver error poisons it ({@link DeviceFailedException}).
 */
public final class CudaDevices {
  /** Name every fake device reports. */
  public static final String FAKE_NAME = "Tandem fake CUDA device (CPU)";

  private final FakeCuda fake;
  private final Consumer<String> onPoisoned;

  public CudaDevices(FakeCuda fake) {
    this(fake, message -> { });
  }

  private CudaDevices(FakeCuda fake, Consumer<String> onPoisoned) {
    this.fake = fake;
    this.onPoisoned = onPoisoned;
  }

  /**
   * These devices, telling {@code listener} the one-line message when a device opened from
   * now on is poisoned by a driver error (on its compute thread: hand it on, do not block).
   */
  public CudaDevices onPoisoned(Consumer<String> listener) {
    return new CudaDevices(fake, listener);
  }

  /** The real devices (what {@link CudaAvailability#probe()} finds). */
  public static CudaDevices real() {
    return new CudaDevices(FakeCuda.none());
  }

  /** Fake devices when this JVM's system properties ask for them, else the real ones. */
  public static CudaDevices fromSystemProperties() {
    return new CudaDevices(FakeCuda.fromSystemProperties());
  }

  public FakeCuda fake() {
    return fake;
  }

  /** Whether CUDA can run here, with the device count (fake devices: always available). */
  public CudaAvailability availability() {
    return fake.enabled() ? new CudaAvailability(true, "", fake.devices(), DriverRequirement.REQUIRED)
        : CudaAvailability.probe();
  }

  /**
   * This machine's CUDA devices with name, memory, multiprocessors, compute capability and
   * driver version; empty when CUDA is unavailable. Calls the driver (no context is created):
   * run it off actor threads.
   */
  public List<LocalDevice> discover() {
    List<LocalDevice> found = new ArrayList<>();
    if (fake.enabled()) {
      int threads = fakeThreads();
      long memory = Runtime.getRuntime().maxMemory() / fake.devices();
      for (int d = 0; d < fake.devices(); d++) {
        found.add(new LocalDevice("cuda", d, FAKE_NAME, memory, threads, "9.0", DriverRequirement.REQUIRED, true));
      }
      return found;
    }
    CudaAvailability a = CudaAvailability.probe();
    for (int d = 0; d < a.devices(); d++) {
      found.add(describe(d, a.driverVersion()));
    }
    return found;
  }

  private static LocalDevice describe(int ordinal, int driverVersion) {
    CUdevice device = new CUdevice();
    check(JCudaDriver.cuDeviceGet(device, ordinal), "cuDeviceGet");
    byte[] name = new byte[256];
    check(JCudaDriver.cuDeviceGetName(name, name.length, device), "cuDeviceGetName");
    int len = 0;
    while (len < name.length && name[len] != 0) {
      len++;
    }
    long[] mem = new long[1];
    check(JCudaDriver.cuDeviceTotalMem(mem, device), "cuDeviceTotalMem");
    return new LocalDevice("cuda", ordinal, new String(name, 0, len, StandardCharsets.UTF_8), mem[0],
        attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT),
        attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR) + "."
            + attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR),
        driverVersion, false);
  }

  private static int attribute(CUdevice device, int attribute) {
    int[] v = new int[1];
    check(JCudaDriver.cuDeviceGetAttribute(v, attribute, device), "cuDeviceGetAttribute");
    return v[0];
  }

  /**
   * Opens local device {@code ordinal}, guarded. Throws {@link IllegalArgumentException} for an
   * ordinal this machine lacks and {@link IllegalStateException} when CUDA is unusable here.
   */
  public Backend open(int ordinal) {
    if (!fake.enabled()) {
      return new GuardedBackend(CudaBackend.open(ordinal), onPoisoned);
    }
    if (ordinal < 0 || ordinal >= fake.devices()) {
      throw new IllegalArgumentException("no CUDA device " + ordinal + " (have " + fake.devices() + " fake)");
    }
    fake.openLog().ifPresent(log -> {
      try {
        Files.writeString(log, ProcessHandle.current().pid() + " " + ordinal + "\n", StandardCharsets.UTF_8,
            StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      } catch (IOException e) {
        throw new UncheckedIOException("writing " + log + ": " + e.getMessage(), e);
      }
    });
    return new GuardedBackend(new FakeCudaBackend(ordinal, fakeThreads(), fake.fault()), onPoisoned);
  }

  private int fakeThreads() {
    return Math.max(1, Runtime.getRuntime().availableProcessors() / Math.max(1, fake.devices()));
  }
}
