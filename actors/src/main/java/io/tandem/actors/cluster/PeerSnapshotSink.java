package io.tandem.actors.cluster;

import io.tandem.actors.transport.DataPlaneClient;
import io.tandem.actors.transport.SnapshotFrames;
import io.tandem.actors.transport.SnapshotStore;
import io.tandem.actors.worker.SnapshotSink;
import java.util.List;
import java.util.SortedMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cluster worker's in-memory snapshots (issue 14): kept in its node's {@link SnapshotStore}
 * (reported at once as held here) and streamed to the node's ring peer over the data plane,
 * signed with the job's snapshot key (the peer reports its copy once all of the device's layers
 * arrived). A failed send only means the peer holds no copy of that step.
 *
 * @param job the job's id (stable over re-plans)
 * @param peerHost the peer's data plane host; null = no peer (a one-node job)
 * @param heldHere told the layers this node now holds of a step
 */
record PeerSnapshotSink(SnapshotStore store, DataPlaneClient client, String job, byte[] key, String peerHost,
    int peerPort, HeldHere heldHere) implements SnapshotSink {
  private static final Logger LOG = LoggerFactory.getLogger(PeerSnapshotSink.class);

  /** Told the layers of a step this node now holds. */
  @FunctionalInterface
  interface HeldHere {
    void held(long step, List<Integer> layers);
  }

  @Override
  public void keep(long step, int device, SortedMap<Integer, byte[]> layers) {
    if (layers.isEmpty()) {
      return; // a backend without layer states (sim)
    }
    List<Integer> kept = new java.util.ArrayList<>();
    layers.forEach((layer, state) -> {
      if (store.put(job, step, layer, state)) {
        kept.add(layer);
      }
    });
    if (!kept.isEmpty()) {
      heldHere.held(step, List.copyOf(kept));
    }
    if (peerHost == null) {
      return;
    }
    layers.forEach((layer, state) -> client.sendBulk(peerHost, peerPort,
            SnapshotFrames.header(job, step, layer, state.length, device, layers.size()), SnapshotFrames.pack(state), key)
        .exceptionally(e -> {
          LOG.warn("snapshot of job '{}' after step {}: layer {} not sent to {}:{}: {}", job, step, layer, peerHost,
              peerPort, e.getMessage());
          return null;
        }));
  }

  /** Sends {@code layers} of the snapshot after {@code step} steps, as held here, to a restoring node. */
  static void transfer(SnapshotStore store, DataPlaneClient client, String job, byte[] key, long step,
      List<Integer> layers, String host, int port, Consumer<String> onMissing) {
    for (int layer : layers) {
      byte[] state = store.get(job, step, layer).orElse(null);
      if (state == null) {
        onMissing.accept("layer " + layer + " of the snapshot after step " + step + " is no longer held here");
        continue;
      }
      sendForRestore(client, job, key, step, layer, state, host, port,
          why -> onMissing.accept("layer " + layer + " " + why));
    }
  }

  /**
   * Sends {@code state}, layer {@code layer} after {@code step} steps, to the restoring node whose
   * data plane is {@code host:port}, signed with {@code key}; {@code onFailure} hears why it was
   * not sent ("not sent to host:port: ...").
   */
  static void sendForRestore(DataPlaneClient client, String job, byte[] key, long step, int layer, byte[] state,
      String host, int port, Consumer<String> onFailure) {
    client.sendBulk(host, port, SnapshotFrames.header(job, step, layer, state.length, 0, 0), SnapshotFrames.pack(state),
        key).exceptionally(e -> {
          onFailure.accept("not sent to " + host + ":" + port + ": " + e.getMessage());
          return null;
        });
  }
}
