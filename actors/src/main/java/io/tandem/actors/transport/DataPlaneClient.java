package io.tandem.actors.transport;

import io.tandem.actors.transport.HostTensor;
import io.tandem.proto.TensorFrameHeader;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sending end of the data plane: one connection per peer endpoint, written by that peer's
 * own thread ({@link PeerWriter}) from a bounded queue, so callers (actors) never block. The
 * returned stage completes when the frame is written and fails with a one-line reason (queue
 * full, frame over the limit, connection failed); a dead connection is re-opened on the next
 * frame. With {@code authenticate} on, frames sent with a key are signed and sealed with it.
 * A connection the peer closes or resets (its process died) is reported to the listeners of
 * {@link #onPeerLost} at once. Bulk frames (snapshots, restores) go on a second connection per
 * peer ({@link #sendBulk}), so a step's tensors never wait behind megabytes of layer state, on
 * the writer's queue or on the receiving reader thread.
 */
public final class DataPlaneClient implements AutoCloseable {
  private final DataPlaneSettings settings;
  private final SealPool sealPool;
  private final Map<String, PeerWriter> peers = new ConcurrentHashMap<>();
  private volatile boolean closed;
  private final java.util.List<java.util.function.Consumer<String>> lostListeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  public DataPlaneClient(DataPlaneSettings settings) {
    this.settings = settings;
    this.sealPool = new SealPool(settings.sealThreads(), "tandem-dataplane-seal");
  }

  /** Sends one tensor, unsigned, to the data plane server at {@code host:port}. */
  public CompletionStage<Void> send(String host, int port, TensorFrameHeader header, HostTensor tensor) {
    return send(host, port, header, tensor, null);
  }

  /** Sends one tensor signed with the job's data plane {@code key} (unsigned when null or authentication is off). */
  public CompletionStage<Void> send(String host, int port, TensorFrameHeader header, HostTensor tensor, byte[] key) {
    return sendOn(host, port, false, header, tensor, key);
  }

  /**
   * {@link #send(String, int, TensorFrameHeader, HostTensor, byte[])} on the peer's bulk
   * connection: for layer states, which must not hold up the tensors of a step.
   */
  public CompletionStage<Void> sendBulk(String host, int port, TensorFrameHeader header, HostTensor tensor,
      byte[] key) {
    return sendOn(host, port, true, header, tensor, key);
  }

  /**
   * {@link #send(String, int, TensorFrameHeader, HostTensor, byte[])} for one piece of a large
   * transfer (a gradient all-reduce): it waits for room in the peer's queue instead of failing
   * when the queue is full, and only a few such pieces are queued at a time, so the step's other
   * tensors do not wait behind all of them.
   */
  public CompletionStage<Void> sendPaced(String host, int port, TensorFrameHeader header, HostTensor tensor,
      byte[] key) {
    return offer(host, port, false, outgoing(header, tensor, key, true));
  }

  private CompletionStage<Void> sendOn(String host, int port, boolean bulk, TensorFrameHeader header,
      HostTensor tensor, byte[] key) {
    return offer(host, port, bulk, outgoing(header, tensor, key, false));
  }

  private PeerWriter.Outgoing outgoing(TensorFrameHeader header, HostTensor tensor, byte[] key, boolean paced) {
    byte[] signWith = settings.authenticate() ? key : null;
    return new PeerWriter.Outgoing(header, tensor, signWith, null, paced, new CompletableFuture<>());
  }

  /** Sends pre-built frame bytes as they are (tests use it to send bad frames). */
  public CompletionStage<Void> sendRaw(String host, int port, byte[] frame) {
    return offer(host, port, false, new PeerWriter.Outgoing(null, null, null,
        ByteBuffer.wrap(frame).asReadOnlyBuffer(), false, new CompletableFuture<>()));
  }

  private CompletionStage<Void> offer(String host, int port, boolean bulk, PeerWriter.Outgoing frame) {
    String endpoint = host + ":" + port + (bulk ? " bulk" : "");
    while (true) {
      if (closed) {
        return CompletableFuture.failedFuture(new IllegalStateException("the data plane client is closed"));
      }
      PeerWriter writer = peers.computeIfAbsent(endpoint, k -> new PeerWriter(host, port, settings, sealPool, this::peerLost,
          bulk ? "bulk-write" : "write"));
      CompletableFuture<Void> written = writer.offer(frame);
      if (written != null) {
        return written;
      }
      peers.remove(endpoint, writer);
    }
  }

  /** Tells {@code listener} the {@code host:port} of each peer whose connection it closed or reset. */
  public void onPeerLost(java.util.function.Consumer<String> listener) {
    lostListeners.add(listener);
  }

  private void peerLost(String endpoint) {
    lostListeners.forEach(l -> l.accept(endpoint));
  }

  /** Lets every peer's thread write what is queued, then close its connection (does not wait). */
  @Override
  public void close() {
    closed = true;
    peers.values().forEach(PeerWriter::close);
  }
}
