package io.tandem.kernels;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Test devices that stand in for GPUs: {@code devices} per process, each named and placed like
 * a CUDA device but computing with {@link CpuBackend} (so results equal the CPU backend's
 * bitwise). Set by {@code tandem.cuda.fake-devices} (system property or configuration).
 *
 * @param devices fake GPUs in this process (0 = use the real CUDA devices)
 * @param fault an injected driver error, if any
 * @param openLog when set, every open appends {@code "<pid> <ordinal>"} to this file, so a test
 *     can check which local ordinals the workers opened
 */
public record FakeCuda(int devices, Optional<Fault> fault, Optional<Path> openLog) {

  /** System property / configuration key of the number of fake devices. */
  public static final String DEVICES = "tandem.cuda.fake-devices";
  /** Key of the injected fault, {@code ordinal:op:occurrence}, e.g. {@code 1:adamw:1}. */
  public static final String FAULT = "tandem.cuda.fake-fault";
  /** Key of the open log file. */
  public static final String OPEN_LOG = "tandem.cuda.fake-open-log";

  public FakeCuda {
    if (devices < 0) {
      throw new IllegalArgumentException(DEVICES + " must be >= 0, got " + devices);
    }
  }

  /**
   * Fake device {@code ordinal} fails its {@code occurrence}-th (1-based) call of op {@code op}
   * (a {@link Backend} method name) with {@code CUDA_ERROR_ILLEGAL_ADDRESS}, and every call after.
   */
  public record Fault(int ordinal, String op, int occurrence) {
    /** Parses {@code ordinal:op:occurrence}. */
    public static Fault parse(String s) {
      String[] p = s.trim().split(":");
      try {
        if (p.length == 3) {
          return new Fault(Integer.parseInt(p[0]), p[1], Integer.parseInt(p[2]));
        }
      } catch (NumberFormatException e) {
        // falls through to the message below
      }
      throw new IllegalArgumentException(FAULT + " takes ordinal:op:occurrence (e.g. 1:adamw:1), got '" + s + "'");
    }
  }

  /** No fake devices: the real CUDA devices are used. */
  public static FakeCuda none() {
    return new FakeCuda(0, Optional.empty(), Optional.empty());
  }

  /** {@code devices} fake GPUs without fault or log. */
  public static FakeCuda of(int devices) {
    return new FakeCuda(devices, Optional.empty(), Optional.empty());
  }

  /** From the three settings as strings (empty = unset). */
  public static FakeCuda parse(String devices, String fault, String openLog) {
    int n;
    try {
      n = devices.isBlank() ? 0 : Integer.parseInt(devices.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(DEVICES + " must be a number, got '" + devices + "'");
    }
    return new FakeCuda(n, fault.isBlank() ? Optional.empty() : Optional.of(Fault.parse(fault)),
        openLog.isBlank() ? Optional.empty() : Optional.of(Path.of(openLog.trim())));
  }

  /** From this JVM's system properties (for runs without a configuration, e.g. single-process training). */
  public static FakeCuda fromSystemProperties() {
    return parse(System.getProperty(DEVICES, ""), System.getProperty(FAULT, ""), System.getProperty(OPEN_LOG, ""));
  }

  /** Whether fake devices replace the real ones. */
  public boolean enabled() {
    return devices > 0;
  }
}
