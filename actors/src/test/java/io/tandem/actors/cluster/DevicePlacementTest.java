package io.tandem.actors.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tandem.actors.cluster.DevicePlacement.Slot;
import io.tandem.proto.DeviceDescription;
import io.tandem.proto.Registration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Job devices to (node, local ordinal) from the nodes' registrations. */
class DevicePlacementTest {
  static Registration node(String name, int cpus, int gpus) {
    Registration.Builder r = Registration.newBuilder().setNode(name);
    for (int d = 0; d < cpus; d++) {
      r.addDevices(DeviceDescription.newBuilder().setKind("cpu").setOrdinal(d));
    }
    for (int d = 0; d < gpus; d++) {
      r.addDevices(DeviceDescription.newBuilder().setKind("cuda").setOrdinal(d).setName("H200"));
    }
    return r.build();
  }

  static Map<String, Registration> nodes(Registration... rs) {
    Map<String, Registration> m = new LinkedHashMap<>();
    for (Registration r : rs) {
      m.put(r.getNode(), r);
    }
    return m;
  }

  @Test
  void cpuJobsGoRoundRobinWithAnyNumberPerNode_asBefore() {
    Map<String, List<Slot>> p = DevicePlacement.place("cpu", 5, nodes(node("A", 1, 0), node("B", 1, 2)));
    assertEquals(List.of(new Slot(0, 0), new Slot(2, 1), new Slot(4, 2)), p.get("A"));
    assertEquals(List.of(new Slot(1, 0), new Slot(3, 1)), p.get("B"));
    assertEquals(Map.of("A", List.of(0, 2, 4), "B", List.of(1, 3)), DevicePlacement.devicesByNode(p));
    assertEquals(DevicePlacement.devicesByNode(p), DevicePlacement.devicesByNode(
        DevicePlacement.place("sim", 5, nodes(node("A", 1, 0), node("B", 1, 2)))));
  }

  @Test
  void cudaJobsFillEachNodesGpusWithConsecutiveDevicesOnLocalOrdinals() {
    Map<String, List<Slot>> p = DevicePlacement.place("cuda", 4, nodes(node("A", 1, 2), node("B", 1, 2)));
    assertEquals(List.of(new Slot(0, 0), new Slot(1, 1)), p.get("A"));
    assertEquals(List.of(new Slot(2, 0), new Slot(3, 1)), p.get("B"), "node B's devices open its ordinals 0 and 1");
  }

  @Test
  void cudaJobsSkipNodesWithoutGpusAndUseNoMoreThanANodeHas() {
    Map<String, List<Slot>> p = DevicePlacement.place("CUDA", 3,
        nodes(node("A", 4, 0), node("B", 1, 1), node("C", 1, 8)));
    assertEquals(Map.of("B", List.of(new Slot(0, 0)), "C", List.of(new Slot(1, 0), new Slot(2, 1))), p);
  }

  @Test
  void tooFewGpusIsOneLineNamingEveryNodesCount() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DevicePlacement.place("cuda", 4, nodes(node("A", 1, 2), node("B", 2, 0))));
    assertEquals("job needs 4 cuda devices; the cluster has 2 (node A: 2 cuda, node B: 0 cuda)", e.getMessage());
    IllegalArgumentException cpuOnly = assertThrows(IllegalArgumentException.class,
        () -> DevicePlacement.place("cuda", 1, nodes(node("A", 1, 0))));
    assertEquals("job needs 1 cuda device; the cluster has 0 (node A: 0 cuda)", cpuOnly.getMessage());
  }

  @Test
  void capacityCountsTheBackendsDevices() {
    assertEquals(2, DevicePlacement.capacity("cuda", node("A", 1, 2)));
    assertEquals(1, DevicePlacement.capacity("cpu", node("A", 1, 2)));
    assertEquals(1, DevicePlacement.capacity("cpu", node("A", 0, 2)), "a node runs at least one CPU device");
    assertEquals(0, DevicePlacement.capacity("cuda", node("A", 3, 0)));
    assertEquals(Long.MAX_VALUE, DevicePlacement.nodesToAsk("cuda", 2));
    assertEquals(2, DevicePlacement.nodesToAsk("cpu", 2));
  }
}
