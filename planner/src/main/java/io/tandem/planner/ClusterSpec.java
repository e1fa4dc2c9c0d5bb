package io.tandem.planner;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The devices a plan may use and the link between any two of them (one bandwidth and latency
 * for all pairs: stage-to-stage sends and the data-parallel gradient all-reduce).
 *
 * @param devices the devices, ids unique
 * @param linkBytesPerSecond link bandwidth
 * @param linkLatencyMs per-message latency
 * @param allReduce a measured data-parallel all-reduce cost ({@code tandem bench allreduce}); null:
 *     a ring at the link's bandwidth and latency
 */
public record ClusterSpec(List<DeviceSpec> devices, double linkBytesPerSecond, double linkLatencyMs,
    AllReduceCost allReduce) {
  /** 10 GB/s, 0.02 ms: a fast intra-node link; the default when none is given. */
  public static final double DEFAULT_BANDWIDTH = 10e9;
  public static final double DEFAULT_LATENCY_MS = 0.02;

  public ClusterSpec {
    devices = List.copyOf(devices);
    if (devices.isEmpty()) {
      throw new IllegalArgumentException("a cluster needs at least one device");
    }
    Set<String> ids = new HashSet<>();
    for (DeviceSpec d : devices) {
      if (!ids.add(d.id())) {
        throw new IllegalArgumentException("device id '" + d.id() + "' appears twice");
      }
    }
    if (!(linkBytesPerSecond > 0) || Double.isInfinite(linkBytesPerSecond)) {
      throw new IllegalArgumentException("link bandwidth must be > 0 bytes/s, got " + linkBytesPerSecond);
    }
    if (!(linkLatencyMs >= 0) || Double.isInfinite(linkLatencyMs)) {
      throw new IllegalArgumentException("link latency must be >= 0 ms, got " + linkLatencyMs);
    }
  }

  /** {@code n} identical devices {@code d0 .. d(n-1)} of speed 1, default link. */
  public static ClusterSpec uniform(int n, long memoryBytes) {
    if (n < 1) {
      throw new IllegalArgumentException("--devices must be >= 1, got " + n);
    }
    List<DeviceSpec> list = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      list.add(new DeviceSpec("d" + i, memoryBytes, 1.0));
    }
    return new ClusterSpec(list, DEFAULT_BANDWIDTH, DEFAULT_LATENCY_MS);
  }

  /** A cluster whose all-reduce runs as a ring at the link's speed. */
  public ClusterSpec(List<DeviceSpec> devices, double linkBytesPerSecond, double linkLatencyMs) {
    this(devices, linkBytesPerSecond, linkLatencyMs, null);
  }

  /** The same cluster with a measured all-reduce cost. */
  public ClusterSpec withAllReduce(AllReduceCost cost) {
    return new ClusterSpec(devices, linkBytesPerSecond, linkLatencyMs, cost);
  }

  /** Milliseconds for one all-reduce of {@code bytes} over {@code width} replicas. */
  public double allReduceMs(long bytes, int width) {
    if (width <= 1 || bytes == 0) {
      return 0;
    }
    if (allReduce != null) {
      return allReduce.ms(bytes, width);
    }
    return 2.0 * (width - 1) / width * bytes / linkBytesPerSecond * 1e3 + 2.0 * (width - 1) * linkLatencyMs;
  }

  public int size() {
    return devices.size();
  }

  /** The same link with other devices. */
  public ClusterSpec withDevices(List<DeviceSpec> newDevices) {
    return new ClusterSpec(newDevices, linkBytesPerSecond, linkLatencyMs, allReduce);
  }

  /** Milliseconds to send {@code bytes} over one link, latency included. */
  public double transferMs(long bytes) {
    return linkLatencyMs + bytes / linkBytesPerSecond * 1e3;
  }
}
