package io.tandem.actors.dataplane;

import io.tandem.actors.HostTensor;
import io.tandem.proto.TensorFrameHeader;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.SourceQueueWithComplete;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;

/**
 * The sending end of the data plane: one TCP connection per peer endpoint, fed by a bounded
 * queue. Offers back-pressure (the returned stage completes when the frame is queued, which
 * waits while the connection is full); a dead connection fails the sends and is re-opened on
 * the next send. Frames are encoded on the stream, not on the caller's thread.
 */
public final class DataPlaneClient implements AutoCloseable {
  private final ActorSystem<?> system;
  private final int queueFrames;
  private final Map<String, SourceQueueWithComplete<Outgoing>> connections = new ConcurrentHashMap<>();

  private record Outgoing(TensorFrameHeader header, HostTensor tensor, byte[] key, ByteString raw) {}

  /** @param queueFrames frames buffered per connection before offers wait */
  public DataPlaneClient(ActorSystem<?> system, int queueFrames) {
    this.system = system;
    this.queueFrames = queueFrames;
  }

  /** Sends one tensor, unsigned, to the data plane server at {@code host:port}. */
  public CompletionStage<Void> send(String host, int port, TensorFrameHeader header, HostTensor tensor) {
    return send(host, port, header, tensor, null);
  }

  /** Sends one tensor signed with the job's data plane {@code key} (null: unsigned). */
  public CompletionStage<Void> send(String host, int port, TensorFrameHeader header, HostTensor tensor, byte[] key) {
    return offer(host, port, new Outgoing(header, tensor, key, null));
  }

  /** Sends pre-built frame bytes as they are (tests use it to send bad frames). */
  public CompletionStage<Void> sendRaw(String host, int port, ByteString frame) {
    return offer(host, port, new Outgoing(null, null, null, frame));
  }

  private CompletionStage<Void> offer(String host, int port, Outgoing frame) {
    SourceQueueWithComplete<Outgoing> queue = connections.computeIfAbsent(host + ":" + port, k -> open(k, host, port));
    return queue.offer(frame).thenCompose(result -> {
      if (result == QueueOfferResult.enqueued()) {
        return CompletableFuture.completedFuture(null);
      }
      connections.remove(host + ":" + port, queue);
      String why = result instanceof QueueOfferResult.Failure f ? f.cause().toString() : result.toString();
      return CompletableFuture.failedFuture(new IllegalStateException(
          "data plane connection to " + host + ":" + port + " is closed: " + why));
    });
  }

  private SourceQueueWithComplete<Outgoing> open(String key, String host, int port) {
    var pair = Source.<Outgoing>queue(queueFrames, OverflowStrategy.backpressure(), 1024)
        .map(o -> o.raw() != null ? o.raw() : TensorFrames.encode(o.header(), o.tensor(), o.key()))
        .via(Tcp.get(system).outgoingConnection(host, port))
        .toMat(Sink.ignore(), Keep.both())
        .run(system);
    SourceQueueWithComplete<Outgoing> queue = pair.first();
    CompletionStage<Done> done = pair.second();
    done.whenComplete((ok, err) -> connections.remove(key, queue));
    queue.watchCompletion().whenComplete((ok, err) -> connections.remove(key, queue));
    return queue;
  }

  /** Completes every connection's queue (frames already queued are still sent). */
  @Override
  public void close() {
    connections.values().forEach(SourceQueueWithComplete::complete);
    connections.clear();
  }
}
