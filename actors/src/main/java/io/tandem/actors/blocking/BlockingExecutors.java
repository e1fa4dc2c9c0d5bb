package io.tandem.actors.blocking;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The executors that blocking work runs on, one set per {@link ActorSystem} (a Pekko
 * extension): file I/O, fsync and hashing go to {@link #io()}, whose daemon threads are named
 * {@code tandem-io-N}; the result comes back to the actor with {@code pipeToSelf}. Never run such
 * work on a dispatcher thread ({@link DispatcherGuard} checks). The pool shuts down with the
 * actor system. Device compute (and GPU synchronisation) runs on each device's own executor.
 */
public final class BlockingExecutors implements Extension {

  /** The extension's id: {@code BlockingExecutors.ID.apply(system)}, or {@link #get}. */
  public static final ExtensionId<BlockingExecutors> ID = new ExtensionId<>() {
    @Override
    public BlockingExecutors createExtension(ActorSystem<?> system) {
      return new BlockingExecutors(system);
    }
  };

  private final ExecutorService io;

  private BlockingExecutors(ActorSystem<?> system) {
    AtomicInteger n = new AtomicInteger();
    int threads = Math.max(2, Math.min(8, Runtime.getRuntime().availableProcessors()));
    this.io = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "tandem-io-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    system.getWhenTerminated().thenRun(io::shutdown);
  }

  /** The executors of {@code system} (created on first use). */
  public static BlockingExecutors get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** For file I/O, fsync and hashing. */
  public ExecutorService io() {
    return io;
  }
}
