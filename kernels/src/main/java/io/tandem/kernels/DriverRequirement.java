package io.tandem.kernels;

import java.util.Optional;

/**
 * The oldest CUDA driver that runs the committed fatbin: its PTX is ISA 9.0 (nvcc 13.0), which
 * the JIT of drivers older than CUDA 13.0 (NVIDIA 580) rejects with
 * {@code CUDA_ERROR_UNSUPPORTED_PTX_VERSION}.
 */
public final class DriverRequirement {
  /** {@code cuDriverGetVersion} of CUDA 13.0. */
  public static final int REQUIRED = 13000;

  private DriverRequirement() {}

  /** The one-line error for driver {@code found} (a {@code cuDriverGetVersion} value), or empty when it is new enough. */
  public static Optional<String> check(int found) {
    return found > 0 && found < REQUIRED ? Optional.of(tooOld(found)) : Optional.empty();
  }

  /** One line naming the needed and the found CUDA version. */
  public static String tooOld(int found) {
    return "the NVIDIA driver is too old for Tandem's CUDA kernels: they need CUDA " + version(REQUIRED)
        + " (driver 580 or newer), found CUDA " + version(found) + " (cuDriverGetVersion " + found
        + "); update the driver or use --backend cpu";
  }

  /** {@code 12040} as {@code 12.4}. */
  static String version(int v) {
    return v / 1000 + "." + (v % 1000) / 10;
  }
}
