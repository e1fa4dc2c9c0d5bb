package io.tandem.actors.cluster;

import io.tandem.proto.DeviceDescription;
import io.tandem.proto.Registration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Where each device of a job runs (DESIGN.md "Rules for scale: Placement"): a pure function from
 * the nodes' registrations to node -> job devices, each on a local ordinal of that node.
 *
 * <ul>
 *   <li>{@code cuda} jobs use only the nodes' reported cuda devices, filling the nodes in order
 *       with consecutive job devices (neighbouring stages stay on one node), at most as many per
 *       node as it reported; too few in the cluster is a one-line error naming every node's count.
 *   <li>{@code cpu} and {@code sim} jobs go round robin over the nodes, as many per node as
 *       needed (CPU threads are shared out).
 * </ul>
 *
 * <p>A node's slots always carry local ordinals 0, 1, ... in job-device order, so the list of
 * job devices alone tells a node which ordinal opens each ({@link NodeAgent.SpawnWorkers}).
 */
final class DevicePlacement {
  private DevicePlacement() {}

  /** Job device {@code device} on the node's device {@code localOrdinal}. */
  record Slot(int device, int localOrdinal) {}

  /**
   * Places {@code devices} job devices of {@code backend} on {@code nodes} (node address to its
   * registration, in the order to fill). Throws {@link IllegalArgumentException} when the
   * nodes lack cuda devices.
   */
  static Map<String, List<Slot>> place(String backend, int devices, Map<String, Registration> nodes) {
    if (nodes.isEmpty()) {
      throw new IllegalArgumentException("no worker node to place the job's " + devices + " device(s) on");
    }
    Map<String, List<Slot>> placed = new LinkedHashMap<>();
    if (!isCuda(backend)) {
      roundRobin(nodes.keySet(), devices).forEach((node, ds) -> {
        List<Slot> slots = placed.computeIfAbsent(node, n -> new ArrayList<>());
        ds.forEach(d -> slots.add(new Slot(d, slots.size())));
      });
      return placed;
    }
    int total = nodes.values().stream().mapToInt(DevicePlacement::cudaDevices).sum();
    if (total < devices) {
      StringJoiner each = new StringJoiner(", ", " (", ")");
      nodes.forEach((node, r) -> each.add("node " + node + ": " + cudaDevices(r) + " cuda"));
      throw new IllegalArgumentException("job needs " + devices + " cuda device" + (devices == 1 ? "" : "s")
          + "; the cluster has " + total + each);
    }
    int d = 0;
    for (Map.Entry<String, Registration> e : nodes.entrySet()) {
      int here = Math.min(cudaDevices(e.getValue()), devices - d);
      for (int ordinal = 0; ordinal < here; ordinal++) {
        placed.computeIfAbsent(e.getKey(), n -> new ArrayList<>()).add(new Slot(d++, ordinal));
      }
    }
    return placed;
  }

  /**
   * {@link #place} over {@code nodes} (in that order, each described in {@code registrations}),
   * as the job devices of each node in local-ordinal order: what {@link NodeAgent.SpawnWorkers} carries.
   */
  static Map<String, List<Integer>> assign(String backend, int devices, Iterable<String> nodes,
      Map<String, Registration> registrations) {
    Map<String, Registration> ordered = new LinkedHashMap<>();
    nodes.forEach(n -> ordered.put(n, registrations.get(n)));
    return devicesByNode(place(backend, devices, ordered));
  }

  /** Devices {@code 0..devices-1} dealt round robin to {@code nodes} sorted by address (device {@code d} on node {@code d mod n}). */
  static Map<String, List<Integer>> roundRobin(java.util.Collection<String> nodes, int devices) {
    if (nodes.isEmpty()) {
      throw new IllegalArgumentException("no node to run " + devices + " device(s) on");
    }
    List<String> sorted = new ArrayList<>(nodes);
    java.util.Collections.sort(sorted);
    Map<String, List<Integer>> out = new java.util.TreeMap<>();
    for (int d = 0; d < devices; d++) {
      out.computeIfAbsent(sorted.get(d % sorted.size()), n -> new ArrayList<>()).add(d);
    }
    return out;
  }

  /** How many nodes a job asks for their devices: cuda jobs all (any may hold the GPUs), others one per device. */
  static long nodesToAsk(String backend, int devices) {
    return isCuda(backend) ? Long.MAX_VALUE : devices;
  }

  /** The job devices of each node, in slot (= local ordinal) order. */
  static Map<String, List<Integer>> devicesByNode(Map<String, List<Slot>> placement) {
    Map<String, List<Integer>> byNode = new LinkedHashMap<>();
    placement.forEach((node, slots) -> byNode.put(node, slots.stream().map(Slot::device).toList()));
    return byNode;
  }

  /** How many job devices of {@code backend} a node can take: its cuda devices, or at least one CPU device. */
  static int capacity(String backend, Registration node) {
    return isCuda(backend) ? cudaDevices(node) : Math.max(1, node.getDevicesCount() - cudaDevices(node));
  }

  private static int cudaDevices(Registration r) {
    int n = 0;
    for (DeviceDescription d : r.getDevicesList()) {
      if (d.getKind().equals("cuda")) {
        n++;
      }
    }
    return n;
  }

  private static boolean isCuda(String backend) {
    return backend.toLowerCase(Locale.ROOT).equals("cuda");
  }
}
