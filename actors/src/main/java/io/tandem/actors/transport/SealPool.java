package io.tandem.actors.transport;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Threads that seal and open the blocks of signed frames in parallel ({@link FrameCipher}'s blocks
 * are independent), so that one connection is not held to one core's AES-GCM rate. A data plane
 * client and a server each own one, shared by their connections; a connection's own thread still
 * reads and writes the socket, in block order, and keeps at most {@link #window} blocks in flight.
 * With one thread there is no pool and each connection seals on its own thread, as on a machine of
 * few cores, where more threads would only take turns with the sockets. Idle threads end after
 * {@value #IDLE_SECONDS} s, so a pool needs no closing: frames still queued when its owner closes
 * are sealed and written.
 */
final class SealPool {
  private static final long IDLE_SECONDS = 10;
  private final int threads;
  private final ThreadPoolExecutor executor; // null: seal on the connection's thread
  private final ThreadLocal<FrameCipher> ciphers = ThreadLocal.withInitial(FrameCipher::new);
  private final ThreadLocal<byte[]> plains = ThreadLocal.withInitial(() -> new byte[FrameCipher.BLOCK_BYTES]);

  /** A pool of {@code threads} daemon threads named {@code name-N} (none for 1). */
  SealPool(int threads, String name) {
    if (threads < 1) {
      throw new IllegalArgumentException("seal threads must be >= 1, got " + threads);
    }
    this.threads = threads;
    if (threads == 1) {
      executor = null;
    } else {
      AtomicInteger n = new AtomicInteger();
      executor = new ThreadPoolExecutor(threads, threads, IDLE_SECONDS, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
          r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
          });
      executor.allowCoreThreadTimeOut(true);
    }
  }

  /** Whether frames of several blocks are sealed and opened by the pool's threads. */
  boolean parallel() {
    return executor != null;
  }

  int threads() {
    return threads;
  }

  /** Blocks of one frame in flight at a time: enough to keep every thread busy while the socket waits. */
  int window() {
    return 2 * threads;
  }

  /** One connection's {@link #window} of buffers, each a sealed block with its tag. */
  byte[][] newSlots() {
    return new byte[window()][FrameCipher.BLOCK_BYTES + FrameCipher.TAG_BYTES];
  }

  /** Runs {@code task} on a pool thread. */
  <T> CompletableFuture<T> submit(Supplier<T> task) {
    return CompletableFuture.supplyAsync(task, executor);
  }

  /** The calling pool thread's cipher. */
  FrameCipher cipher() {
    return ciphers.get();
  }

  /** The calling pool thread's block of plain bytes. */
  byte[] plainBlock() {
    return plains.get();
  }

  /** The value of a finished task; a task's own exception is rethrown as it was. */
  static <T> T join(CompletableFuture<T> task) {
    try {
      return task.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw e;
    }
  }
}
