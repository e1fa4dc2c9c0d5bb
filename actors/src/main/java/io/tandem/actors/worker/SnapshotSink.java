package io.tandem.actors.worker;

import java.util.SortedMap;

/**
 * Where a stage worker's in-memory snapshots go (issue 14): on a cluster node, the node's
 * snapshot store and its ring peer's, over the data plane. Called on a blocking io thread.
 */
@FunctionalInterface
public interface SnapshotSink {
  /** Keeps {@code layers}' saved states after {@code step} steps, taken on schedule device {@code device}. */
  void keep(long step, int device, SortedMap<Integer, byte[]> layers);
}
