package io.tandem.kernels;

import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * Whether the CUDA backend can run here: JCuda's driver library loads (it needs the NVIDIA
 * driver's {@code libcuda.so.1}), {@code cuInit} succeeds and at least one device exists.
 * Probed once per JVM, because a failed native load cannot be retried.
 *
 * @param available true when {@link CudaBackend} can be opened
 * @param reason why not (empty when available), e.g. {@code "no libcuda.so.1 (NVIDIA driver not installed)"}
 * @param devices number of CUDA devices (0 when unavailable)
 * @param driverVersion {@code cuDriverGetVersion}, e.g. 13000 for CUDA 13.0 (0 when unknown)
 */
public record CudaAvailability(boolean available, String reason, int devices, int driverVersion) {

  /** The result of the one probe of this JVM. */
  public static CudaAvailability probe() {
    return Once.RESULT;
  }

  /** Throws {@link IllegalStateException} with the reason when CUDA is unavailable. */
  public CudaAvailability require() {
    if (!available) {
      throw new IllegalStateException("CUDA unavailable: " + reason);
    }
    return this;
  }

  /** Holder idiom: the probe runs on first use, exactly once. */
  private static final class Once {
    static final CudaAvailability RESULT = run();
  }

  private static CudaAvailability run() {
    try {
      int[] version = new int[1];
      int rc = JCudaDriver.cuDriverGetVersion(version);
      if (rc != CUresult.CUDA_SUCCESS) {
        return unavailable("cuDriverGetVersion: " + CUresult.stringFor(rc), 0);
      }
      rc = JCudaDriver.cuInit(0);
      if (rc != CUresult.CUDA_SUCCESS) {
        return unavailable("cuInit: " + CUresult.stringFor(rc), version[0]);
      }
      int[] count = new int[1];
      rc = JCudaDriver.cuDeviceGetCount(count);
      if (rc != CUresult.CUDA_SUCCESS) {
        return unavailable("cuDeviceGetCount: " + CUresult.stringFor(rc), version[0]);
      }
      if (count[0] == 0) {
        return unavailable("no CUDA device", version[0]);
      }
      return new CudaAvailability(true, "", count[0], version[0]);
    } catch (LinkageError e) {
      return unavailable(describe(e), 0);
    } catch (RuntimeException e) {  // jcuda.CudaException from the native loader, among others
      return unavailable(e.getClass().getSimpleName() + ": " + firstLine(e.getMessage()), 0);
    }
  }

  private static CudaAvailability unavailable(String reason, int driverVersion) {
    return new CudaAvailability(false, reason, 0, driverVersion);
  }

  /** A one-line reason for a failed native load (JCuda's messages run to dozens of lines). */
  static String describe(LinkageError e) {
    String message = String.valueOf(e.getMessage());
    if (message.contains("libcuda.so")) {
      return "no libcuda.so.1 (NVIDIA driver not installed)";
    }
    if (e instanceof NoClassDefFoundError) {
      return "JCuda driver class failed to initialize earlier: " + firstLine(message);
    }
    return "JCuda driver library did not load: " + firstLine(message);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return (nl < 0 ? s : s.substring(0, nl)).trim();
  }
}
