package io.tandem.planner;

import java.util.Locale;

/**
 * What the planner assumes about a backend when the job brings no measured profile: the device's
 * analytic rates and the link between workers. A GPU job gets an H100's rates and a fast
 * intra-node link; a CPU job a CPU worker's rates and a data plane over TCP, so a CPU job's plan
 * weighs its slow ops against a slow link instead of a GPU's.
 *
 * @param name "GPU" or "CPU", for the reasons the runtime prints
 * @param profiler the device's analytic rates
 * @param linkBytesPerSecond bandwidth between two workers
 * @param linkLatencyMs per-message latency between two workers
 */
public record BackendCosts(String name, AnalyticProfiler profiler, double linkBytesPerSecond, double linkLatencyMs) {
  /** A CPU worker's data plane: 1 GB/s and 0.2 ms a message (loopback TCP measures 1-2 GB/s, 0.1-0.4 ms). */
  public static final double CPU_LINK_BYTES_PER_SECOND = 1e9;
  public static final double CPU_LINK_LATENCY_MS = 0.2;

  /** The costs of {@code backend}: cuda gets the GPU's, anything else the CPU's. */
  public static BackendCosts of(String backend) {
    return backend.toLowerCase(Locale.ROOT).equals("cuda")
        ? new BackendCosts("GPU", AnalyticProfiler.gpuDefault(), ClusterSpec.DEFAULT_BANDWIDTH,
            ClusterSpec.DEFAULT_LATENCY_MS)
        : new BackendCosts("CPU", AnalyticProfiler.cpuDefault(), CPU_LINK_BYTES_PER_SECOND, CPU_LINK_LATENCY_MS);
  }

  /** {@code n} identical workers with {@code memoryBytes} each, on this backend's link. */
  public ClusterSpec cluster(int n, long memoryBytes) {
    ClusterSpec uniform = ClusterSpec.uniform(n, memoryBytes);
    return new ClusterSpec(uniform.devices(), linkBytesPerSecond, linkLatencyMs);
  }
}
