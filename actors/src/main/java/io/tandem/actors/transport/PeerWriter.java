package io.tandem.actors.transport;

import io.tandem.actors.transport.HostTensor;
import io.tandem.proto.TensorFrameHeader;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sending side of one peer: a bounded queue of frames and the named thread that writes them,
 * in order, on a blocking socket channel, opened on first use and re-opened after a failure.
 * A frame's future completes when it has been written (or fails with a one-line reason), so a
 * sender that waits for it is back-pressured. After a minute without frames the thread closes
 * the connection and retires; a retired writer takes no frames ({@link #offer} returns null).
 * A watcher thread reads the connection (the server never writes): a peer that closes or resets
 * it, as the OS does when the peer's process dies, is reported to {@code lost} at once.
 *
 * <p>Paced frames (the pieces of one large transfer, such as a gradient all-reduce) never fail
 * for a full queue: at most {@link #pacedLimit} of them are queued at a time, so the step's
 * pipeline tensors keep room and wait behind a few pieces only; the rest wait their turn.
 */
final class PeerWriter {
  private static final Logger LOG = LoggerFactory.getLogger(PeerWriter.class);
  private static final long IDLE_MS = 60_000;

  /** One frame to write: a tensor (signed when {@code key} is set) or raw bytes; {@code paced}: see the class. */
  record Outgoing(TensorFrameHeader header, HostTensor tensor, byte[] key, ByteBuffer raw, boolean paced,
      CompletableFuture<Void> written) {}

  private final String host;
  private final int port;
  private final DataPlaneSettings settings;
  private final BlockingQueue<Outgoing> queue;
  /** Paced frames queued at most: an eighth of the queue (at least one). */
  private final int pacedLimit;
  private int pacedQueued; // guarded by this
  /** Paced frames not yet queued, in order (guarded by this). */
  private final java.util.ArrayDeque<Outgoing> waiting = new java.util.ArrayDeque<>();
  private final FrameWriter writer;
  private boolean retired; // guarded by this
  private volatile boolean closing;
  private volatile SocketChannel channel; // written by the writer thread only
  private final java.util.function.Consumer<String> lost;

  /**
   * @param sealPool seals the blocks of large signed frames
   * @param lost told {@code host:port} when the peer closes or resets the connection
   * @param lane names the writer's thread ({@code tandem-dataplane-LANE-host:port})
   */
  PeerWriter(String host, int port, DataPlaneSettings settings, SealPool sealPool,
      java.util.function.Consumer<String> lost, String lane) {
    this.host = host;
    this.port = port;
    this.settings = settings;
    this.lost = lost;
    this.queue = new ArrayBlockingQueue<>(settings.queueFrames());
    this.pacedLimit = Math.max(1, settings.queueFrames() / 8);
    this.writer = new FrameWriter(settings.chunkBytes(), settings.maxFrameBytes(), sealPool);
    Thread thread = new Thread(this::run, "tandem-dataplane-" + lane + "-" + host + ":" + port);
    thread.setDaemon(true);
    thread.start();
  }

  /** Queues {@code frame}; its future, or null when this writer has retired (use a new one). */
  synchronized CompletableFuture<Void> offer(Outgoing frame) {
    if (retired) {
      return null;
    }
    if (closing) {
      frame.written().completeExceptionally(new IllegalStateException("the data plane client is closed"));
    } else if (frame.paced()) {
      waiting.add(frame);
      refill();
    } else if (!queue.offer(frame)) {
      frame.written().completeExceptionally(new IllegalStateException("data plane queue to " + host + ":" + port
          + " is full (" + settings.queueFrames() + " frames, " + DataPlaneSettings.PATH
          + ".queue-frames): the peer does not keep up"));
    }
    return frame.written();
  }

  /** Writes what is queued, then closes the connection and ends the thread. */
  void close() {
    closing = true;
  }

  /** Moves waiting paced frames into the queue while their share and the queue have room. */
  private synchronized void refill() {
    while (!waiting.isEmpty() && pacedQueued < pacedLimit && queue.offer(waiting.peek())) {
      waiting.poll();
      pacedQueued++;
    }
  }

  /** The writer took {@code frame} off the queue: a paced one leaves room for the next. */
  private synchronized void taken(Outgoing frame) {
    if (frame.paced()) {
      pacedQueued--;
    }
    refill();
  }

  private synchronized boolean retireIfIdle() {
    if (queue.isEmpty() && waiting.isEmpty()) {
      retired = true;
    }
    return retired;
  }

  private void run() {
    long idleSince = System.nanoTime();
    try {
      while (true) {
        Outgoing frame = queue.poll(200, TimeUnit.MILLISECONDS);
        if (frame != null) {
          taken(frame);
          write(frame);
          idleSince = System.nanoTime();
        } else if ((closing || System.nanoTime() - idleSince > IDLE_MS * 1_000_000) && retireIfIdle()) {
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      disconnect();
    }
  }

  private void write(Outgoing frame) {
    try {
      if (channel == null) {
        channel = connect();
      }
      if (frame.raw() != null) {
        FrameWriter.writeFully(channel, frame.raw().duplicate());
      } else {
        TensorFrameHeader header = frame.header();
        if (header.hasTrace()) {
          header = header.toBuilder().setTrace(header.getTrace().toBuilder().setWriteUs(HopClock.nowMicros())).build();
        }
        writer.write(channel, header, frame.tensor(), frame.key());
      }
      frame.written().complete(null);
    } catch (FrameWriter.FrameTooLarge e) {
      frame.written().completeExceptionally(e);
    } catch (IOException | RuntimeException e) {
      disconnect();
      frame.written().completeExceptionally(new IOException("data plane connection to " + host + ":" + port
          + " failed: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e));
    }
  }

  private SocketChannel connect() throws IOException {
    SocketChannel ch = SocketChannel.open();
    try {
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      ch.socket().connect(new InetSocketAddress(host, port), (int) settings.connectTimeout().toMillis());
      Thread watcher = new Thread(() -> watch(ch), "tandem-dataplane-watch-" + host + ":" + port);
      watcher.setDaemon(true);
      watcher.start();
      return ch;
    } catch (IOException e) {
      ch.close();
      throw e;
    }
  }

  /** Blocks reading {@code ch} until it ends: the peer's close or reset, or this writer's own disconnect. */
  private void watch(SocketChannel ch) {
    ByteBuffer one = ByteBuffer.allocate(1);
    String why;
    try {
      while (ch.read(one) >= 0) {
        one.clear(); // the server writes nothing; ignore anything it might
      }
      why = "closed by the peer";
    } catch (java.nio.channels.AsynchronousCloseException e) {
      return; // disconnected here
    } catch (IOException e) {
      why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
    if (channel == ch && !closing) {
      LOG.info("data plane connection to {}:{} lost: {}", host, port, why);
      lost.accept(host + ":" + port);
    }
  }

  private void disconnect() {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        LOG.debug("closing the data plane connection to {}:{}: {}", host, port, e.getMessage());
      }
      channel = null;
    }
  }
}
