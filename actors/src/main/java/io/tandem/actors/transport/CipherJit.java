package io.tandem.actors.transport;

import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * The JVM options that make the data plane's seal fast from a process's first megabytes. The
 * JDK's AES-GCM (and SHA-2, for the headers' HMAC) reach their CPU intrinsics only at call sites
 * that C2 has compiled, and with the default thresholds that takes about 100 MB of sealed traffic
 * per JVM: until then a worker seals and opens at 10-30 MB/s instead of 1-2 GB/s, which made
 * in-memory snapshots cost a fifth of a step (BENCHMARKS.md). Compiling the providers' methods
 * after 1 % of the usual invocations gets there within the first few megabytes. The launcher
 * ({@code tandem}), the worker JVMs a bench or test starts, the Docker image and the GPU bundle
 * pass them; {@link #missing} says when this JVM runs without them.
 */
public final class CipherJit {
  /** Options for a JVM that runs a data plane (printing nothing on stdout). */
  public static final List<String> OPTIONS = List.of(
      "-XX:CompileCommand=quiet",
      "-XX:CompileCommand=CompileThresholdScaling,com.sun.crypto.provider.*::*,0.01",
      "-XX:CompileCommand=CompileThresholdScaling,sun.security.provider.*::*,0.01");

  private CipherJit() {}

  /** Whether this JVM was started without {@link #OPTIONS}. */
  public static boolean missing() {
    return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .noneMatch(a -> a.equals(OPTIONS.get(1)));
  }
}
