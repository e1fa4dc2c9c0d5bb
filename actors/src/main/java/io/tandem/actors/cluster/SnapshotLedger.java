package io.tandem.actors.cluster;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which node holds which layers of a job's in-memory snapshots (issue 14), from the nodes'
 * {@link NodeAgent.SnapshotHeld} reports; picks the newest snapshot a set of surviving nodes can
 * restore whole. Keeps the newest {@value #STEPS_KEPT} steps. Not thread-safe: the job's actor owns it.
 */
final class SnapshotLedger {
  static final int STEPS_KEPT = 4;

  /** A snapshot the given nodes hold whole: the node to fetch each layer from. */
  record Restorable(long step, Map<Integer, String> holderOfLayer) {
    Restorable {
      holderOfLayer = Map.copyOf(holderOfLayer);
    }
  }

  private final int layers;
  private final NavigableMap<Long, Map<Integer, Set<String>>> steps = new TreeMap<>();

  /** @param layers the model's layers (0: nothing to snapshot, never restorable) */
  SnapshotLedger(int layers) {
    this.layers = layers;
  }

  /** {@code node} holds {@code held} layers of the snapshot after {@code step} steps. */
  void held(String node, long step, List<Integer> held) {
    if (layers == 0 || (!steps.isEmpty() && step < steps.firstKey() && steps.size() >= STEPS_KEPT)) {
      return;
    }
    Map<Integer, Set<String>> byLayer = steps.computeIfAbsent(step, s -> new TreeMap<>());
    held.forEach(l -> byLayer.computeIfAbsent(l, k -> new TreeSet<>()).add(node));
    while (steps.size() > STEPS_KEPT) {
      steps.pollFirstEntry();
    }
  }

  /**
   * The newest snapshot whose every layer some node of {@code nodes} holds, each layer's holder
   * the first such node in address order.
   */
  Optional<Restorable> newest(Set<String> nodes) {
    for (Map.Entry<Long, Map<Integer, Set<String>>> e : steps.descendingMap().entrySet()) {
      Map<Integer, String> holder = new TreeMap<>();
      for (int l = 0; l < layers; l++) {
        Set<String> on = e.getValue().getOrDefault(l, Set.of());
        Optional<String> alive = on.stream().filter(nodes::contains).findFirst();
        if (alive.isEmpty()) {
          break;
        }
        holder.put(l, alive.get());
      }
      if (holder.size() == layers && layers > 0) {
        return Optional.of(new Restorable(e.getKey(), holder));
      }
    }
    return Optional.empty();
  }

  /** The nodes holding any layer of the snapshot after {@code step} steps. */
  Set<String> holders(long step) {
    Set<String> out = new HashSet<>();
    steps.getOrDefault(step, Map.of()).values().forEach(out::addAll);
    return out;
  }
}
