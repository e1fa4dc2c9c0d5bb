package io.tandem.actors.dataplane;

import io.tandem.actors.StageWorker;
import io.tandem.proto.TensorFrameHeader;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Framing;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving end of the data plane: a TCP server whose connections carry tensor frames.
 * Each frame is cut by its length field, decoded and verified ({@link TensorFrames#decode}),
 * and delivered as {@link StageWorker.TensorArrived} to the local worker of its job and target
 * stage. A bad frame is delivered as {@link StageWorker.TensorRejected}, so the step fails
 * with a message instead of waiting for a tensor that never comes.
 */
public final class DataPlaneServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DataPlaneServer.class);

  private final Tcp.ServerBinding binding;
  private final AtomicLong refusedFrames;
  private final AtomicLong refusedConnections;

  private DataPlaneServer(Tcp.ServerBinding binding, AtomicLong refusedFrames, AtomicLong refusedConnections) {
    this.binding = binding;
    this.refusedFrames = refusedFrames;
    this.refusedConnections = refusedConnections;
  }

  /** Binds {@code host:port} (0 = any free port) and serves frames into {@code directory}, from any peer. */
  public static DataPlaneServer bind(ActorSystem<?> system, String host, int port, StageDirectory directory,
      int maxFrameBytes, Duration timeout) {
    return bind(system, host, port, directory, maxFrameBytes, timeout, peer -> true);
  }

  /**
   * Binds {@code host:port} (0 = any free port) and serves frames into {@code directory}.
   * Connections from peers {@code allowPeer} rejects (e.g. hosts that are not cluster members)
   * are closed at once; frames the directory does not accept ({@link StageDirectory#accepts})
   * are dropped and counted, and never reach a worker.
   */
  public static DataPlaneServer bind(ActorSystem<?> system, String host, int port, StageDirectory directory,
      int maxFrameBytes, Duration timeout, Predicate<InetSocketAddress> allowPeer) {
    AtomicLong refusedFrames = new AtomicLong();
    AtomicLong refusedConnections = new AtomicLong();
    Flow<ByteString, ByteString, ?> handler = Flow.fromSinkAndSource(
        Flow.of(ByteString.class)
            .via(Framing.lengthField(TensorFrames.LENGTH_FIELD, 0, maxFrameBytes, ByteOrder.BIG_ENDIAN))
            .to(Sink.foreach(frame -> deliver(frame, directory, refusedFrames))),
        Source.<ByteString>maybe());
    Flow<ByteString, ByteString, ?> refuse = Flow.fromSinkAndSource(Sink.cancelled(), Source.empty());
    CompletionStage<Tcp.ServerBinding> bound = Tcp.get(system).bind(host, port)
        .to(Sink.foreach(connection -> {
          if (allowPeer.test(connection.remoteAddress())) {
            connection.handleWith(handler, system);
          } else {
            refusedConnections.incrementAndGet();
            LOG.warn("data plane refused a connection from {}: not a cluster member", connection.remoteAddress());
            connection.handleWith(refuse, system);
          }
        }))
        .run(system);
    try {
      return new DataPlaneServer(bound.toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS),
          refusedFrames, refusedConnections);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while binding the data plane on " + host + ":" + port, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot bind the data plane on " + host + ":" + port + ": "
          + (e.getCause() == null ? e : e.getCause()).getMessage(), e);
    }
  }

  /** Decodes one frame and hands it to its worker (or the rejection to whoever can fail the step). */
  static void deliver(ByteString bytes, StageDirectory directory, AtomicLong refused) {
    TensorFrames.Frame frame;
    try {
      frame = TensorFrames.decode(bytes);
    } catch (TensorFrames.RejectedFrame e) {
      if (directory.accepts(e.header())) {
        reject(e.header(), e.getMessage(), directory);
      } else {
        refuse(e.header(), directory, refused);
      }
      return;
    }
    TensorFrameHeader h = frame.header();
    if (!directory.accepts(h)) {
      refuse(h, directory, refused);
      return;
    }
    Optional<ActorRef<StageWorker.Command>> worker = directory.lookup(h.getJobId(), h.getTargetStage());
    if (worker.isPresent()) {
      worker.get().tell(new StageWorker.TensorArrived(h, frame.tensor()));
    } else if (directory.wasReleased(h.getJobId())) {
      LOG.debug("dropping a late frame of released job '{}' (step {}, stage {})", h.getJobId(), h.getStep(),
          h.getTargetStage());
    } else {
      reject(h, "frame of job '" + h.getJobId() + "' for virtual stage " + h.getTargetStage()
          + ", which no worker of that job holds on this node", directory);
    }
  }

  /** A frame not signed by a member of its job: dropped, never shown to a worker (it could fail the job). */
  private static void refuse(TensorFrameHeader h, StageDirectory directory, AtomicLong refused) {
    if (directory.wasReleased(h.getJobId())) {
      LOG.debug("dropping a late frame of released job '{}' (step {}, stage {})", h.getJobId(), h.getStep(),
          h.getTargetStage());
      return;
    }
    refused.incrementAndGet();
    LOG.warn("data plane refused a frame claiming job '{}', step {}, stage {}: {}", h.getJobId(), h.getStep(),
        h.getTargetStage(), h.getMac().isEmpty() ? "unsigned" : "signature does not match the job's key");
  }

  private static void reject(TensorFrameHeader h, String reason, StageDirectory directory) {
    LOG.error("data plane rejected a frame (job '{}', step {}, stage {}): {}", h.getJobId(), h.getStep(),
        h.getTargetStage(), reason);
    StageWorker.TensorRejected msg = new StageWorker.TensorRejected(h, reason);
    Optional<ActorRef<StageWorker.Command>> owner = directory.lookup(h.getJobId(), h.getTargetStage());
    if (owner.isEmpty()) {
      owner = directory.anyHolding(h.getTargetStage()).map(java.util.Map.Entry::getValue);
    }
    if (owner.isPresent()) {
      owner.get().tell(msg);
    } else {
      directory.all().forEach(w -> w.tell(msg));
    }
  }

  /** Frames dropped because they were not signed by a member of their job. */
  public long refusedFrames() {
    return refusedFrames.get();
  }

  /** Connections closed because the peer was not allowed. */
  public long refusedConnections() {
    return refusedConnections.get();
  }

  public int port() {
    return binding.localAddress().getPort();
  }

  public String host() {
    return binding.localAddress().getHostString();
  }

  /** Stops accepting connections. */
  @Override
  public void close() {
    binding.unbind();
  }
}
