package io.tandem.schedule;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A pipeline schedule: a placement plus one ordered op list per device (DESIGN.md, "Words").
 * Sends and receives are implied by the dependencies that cross devices.
 *
 * @param name the generator's name (e.g. {@code v-half})
 * @param microbatches microbatches per step
 * @param placement virtual stage to device
 * @param ops {@code ops.get(d)} is device {@code d}'s op list, in execution order
 * @param costs the op costs the schedule was generated (and is simulated) with
 * @param weightVersions for {@code 2bw} only: the weight version each op uses; empty otherwise
 */
public record Schedule(
    String name,
    int microbatches,
    Placement placement,
    List<List<Op>> ops,
    OpCosts costs,
    Map<Op, Integer> weightVersions) {

  public Schedule {
    if (ops.size() != placement.devices()) {
      throw new IllegalArgumentException(
          "schedule '" + name + "' has op lists for " + ops.size() + " devices, placement has "
              + placement.devices());
    }
    List<List<Op>> copy = new ArrayList<>(ops.size());
    for (List<Op> deviceOps : ops) {
      copy.add(List.copyOf(deviceOps));
    }
    ops = List.copyOf(copy);
    weightVersions = weightVersions == null ? Map.of() : Map.copyOf(weightVersions);
    if (costs == null) {
      costs = OpCosts.UNIT;
    }
  }

  public Schedule(String name, int microbatches, Placement placement, List<List<Op>> ops, OpCosts costs) {
    this(name, microbatches, placement, ops, costs, Map.of());
  }

  public int devices() {
    return placement.devices();
  }

  public int chunksPerDevice() {
    return placement.chunksPerDevice();
  }

  public int stages() {
    return placement.stages();
  }

  /** Device {@code d}'s ops in order. */
  public List<Op> opsOf(int device) {
    return ops.get(device);
  }
}
