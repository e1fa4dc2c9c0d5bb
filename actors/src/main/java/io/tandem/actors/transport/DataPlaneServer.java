package io.tandem.actors.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving end of the data plane: a TCP server with one named acceptor thread and one named
 * reader thread per connection (blocking I/O, never on a Pekko dispatcher). Each connection's
 * frames are read and verified by a {@link FrameReader} and handed over by a
 * {@link FrameDelivery}, in the order they came. A frame after which the stream cannot be
 * followed (over the limit, unreadable, cut off) closes its connection.
 */
public final class DataPlaneServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DataPlaneServer.class);

  private final ServerSocketChannel server;
  private final StageDirectory directory;
  private final DataPlaneSettings settings;
  private final Predicate<InetSocketAddress> allowPeer;
  private final FrameDelivery delivery;
  private final SealPool sealPool;
  private final AtomicLong refusedConnections = new AtomicLong();
  private final Set<SocketChannel> connections = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private DataPlaneServer(ServerSocketChannel server, StageDirectory directory, DataPlaneSettings settings,
      Predicate<InetSocketAddress> allowPeer) {
    this.server = server;
    this.directory = directory;
    this.settings = settings;
    this.allowPeer = allowPeer;
    this.delivery = new FrameDelivery(directory);
    this.sealPool = new SealPool(settings.sealThreads(), "tandem-dataplane-open");
  }

  /** Binds {@code host:port} (0 = any free port) and serves frames into {@code directory}, from any peer. */
  public static DataPlaneServer bind(String host, int port, StageDirectory directory, DataPlaneSettings settings) {
    return bind(host, port, directory, settings, peer -> true);
  }

  /**
   * Binds {@code host:port} (0 = any free port) and serves frames into {@code directory}.
   * Connections from peers {@code allowPeer} rejects (e.g. hosts that are not cluster members)
   * are closed at once; frames the directory does not accept ({@link StageDirectory#accepts})
   * are dropped and counted, and never reach a worker.
   */
  public static DataPlaneServer bind(String host, int port, StageDirectory directory, DataPlaneSettings settings,
      Predicate<InetSocketAddress> allowPeer) {
    ServerSocketChannel channel = null;
    try {
      channel = ServerSocketChannel.open();
      channel.bind(new InetSocketAddress(host, port), 64);
    } catch (IOException e) {
      closeQuietly(channel);
      throw new IllegalStateException("cannot bind the data plane on " + host + ":" + port + ": " + e.getMessage(), e);
    }
    if (!settings.authenticate()) {
      LOG.warn("data plane authentication is off ({}.authenticate = off): frames are neither signed nor checked "
          + "against their job's key, only CRC32C guards them", DataPlaneSettings.PATH);
    } else if (CipherJit.missing()) {
      LOG.info("this JVM lacks the options {} (the tandem launcher passes them): the data plane's AES-GCM seal runs at"
          + " tens of MB/s for its first ~100 MB", String.join(" ", CipherJit.OPTIONS));
    }
    DataPlaneServer s = new DataPlaneServer(channel, directory, settings, allowPeer);
    Thread acceptor = new Thread(s::accept, "tandem-dataplane-accept-" + s.port());
    acceptor.setDaemon(true);
    acceptor.start();
    return s;
  }

  private void accept() {
    while (!closed) {
      SocketChannel ch;
      try {
        ch = server.accept();
      } catch (IOException e) {
        if (!closed) {
          LOG.error("data plane on port {} stopped accepting: {}", port(), e.getMessage());
        }
        return;
      }
      SocketAddress remote = remoteOf(ch);
      if (!(remote instanceof InetSocketAddress peer) || !allowPeer.test(peer)) {
        refusedConnections.incrementAndGet();
        LOG.warn("data plane refused a connection from {}: not a cluster member", remote);
        closeQuietly(ch);
        continue;
      }
      connections.add(ch);
      Thread reader = new Thread(() -> read(ch, peer), "tandem-dataplane-read-" + peer.getHostString() + ":"
          + peer.getPort());
      reader.setDaemon(true);
      reader.start();
    }
  }

  private void read(SocketChannel ch, InetSocketAddress peer) {
    try {
      FrameReader reader = new FrameReader(ch, directory, settings.chunkBytes(), settings.maxFrameBytes(), sealPool);
      while (!closed) {
        FrameReader.Result result = reader.next();
        if (result == null || closed) {
          return;
        }
        delivery.deliver(result);
        if (result.connectionLost()) {
          LOG.warn("data plane closes the connection from {} after a frame it cannot follow", peer);
          return;
        }
      }
    } catch (ClosedChannelException e) {
      // closed by close()
    } catch (IOException e) {
      if (!closed) {
        LOG.warn("data plane connection from {} ended: {}", peer, e.getMessage());
      }
    } finally {
      connections.remove(ch);
      closeQuietly(ch);
    }
  }

  private static SocketAddress remoteOf(SocketChannel ch) {
    try {
      return ch.getRemoteAddress();
    } catch (IOException e) {
      return null;
    }
  }

  private static void closeQuietly(java.nio.channels.Channel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException e) {
        // nothing left to do
      }
    }
  }

  /** Frames dropped because they were not signed by a member of their job. */
  public long refusedFrames() {
    return delivery.refused();
  }

  /** Connections closed because the peer was not allowed. */
  public long refusedConnections() {
    return refusedConnections.get();
  }

  public int port() {
    return server.socket().getLocalPort();
  }

  public String host() {
    return ((InetSocketAddress) server.socket().getLocalSocketAddress()).getHostString();
  }

  /** Stops accepting connections and closes the open ones. */
  @Override
  public void close() {
    closed = true;
    closeQuietly(server);
    connections.forEach(DataPlaneServer::closeQuietly);
  }
}
