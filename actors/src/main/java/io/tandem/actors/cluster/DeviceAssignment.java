package io.tandem.actors.cluster;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where a job's schedule devices run: the one place that maps schedule devices to nodes, at the
 * start and after every re-plan. Today round robin over the nodes sorted by address (device
 * {@code d} on node {@code d mod n}), so fewer nodes run several devices each.
 */
final class DeviceAssignment {
  private DeviceAssignment() {}

  /** Schedule devices {@code 0..devices-1} dealt round robin to {@code nodes} (sorted by address). */
  static Map<String, List<Integer>> roundRobin(Collection<String> nodes, int devices) {
    if (nodes.isEmpty()) {
      throw new IllegalArgumentException("no node to run " + devices + " device(s) on");
    }
    List<String> sorted = new ArrayList<>(nodes);
    java.util.Collections.sort(sorted);
    Map<String, List<Integer>> out = new TreeMap<>();
    for (int d = 0; d < devices; d++) {
      out.computeIfAbsent(sorted.get(d % sorted.size()), n -> new ArrayList<>()).add(d);
    }
    return out;
  }
}
