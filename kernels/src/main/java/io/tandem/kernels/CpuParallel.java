package io.tandem.kernels;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Runs independent tasks on a fixed set of compute threads (the calling thread plus
 * {@code threads - 1} pool threads). Tasks are claimed dynamically, so callers must make every
 * task's result independent of which thread runs it; that is what keeps the CPU backend
 * deterministic whatever its thread count.
 */
final class CpuParallel implements AutoCloseable {
  /** Body over a half-open index range. */
  @FunctionalInterface
  interface RangeBody {
    void run(int from, int to);
  }

  private final int threads;
  private final ExecutorService pool;

  CpuParallel(int threads, String namePrefix) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    this.threads = threads;
    this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, daemonFactory(namePrefix));
  }

  static ThreadFactory daemonFactory(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  int threads() {
    return threads;
  }

  /** Runs {@code body(i)} for every {@code i < tasks}, in parallel when worthwhile. */
  void forEach(int tasks, IntConsumer body) {
    if (tasks <= 0) {
      return;
    }
    if (tasks == 1 || pool == null) {
      for (int i = 0; i < tasks; i++) {
        body.accept(i);
      }
      return;
    }
    AtomicInteger next = new AtomicInteger();
    Runnable loop = () -> {
      for (int i = next.getAndIncrement(); i < tasks; i = next.getAndIncrement()) {
        body.accept(i);
      }
    };
    int helpers = Math.min(threads - 1, tasks - 1);
    Future<?>[] futures = new Future<?>[helpers];
    for (int h = 0; h < helpers; h++) {
      futures[h] = pool.submit(loop);
    }
    Throwable failure = null;
    try {
      loop.run();
    } catch (RuntimeException | Error e) {
      failure = e;
    }
    for (Future<?> f : futures) {
      try {
        f.get();
      } catch (ExecutionException e) {
        if (failure == null) {
          failure = e.getCause();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        if (failure == null) {
          failure = e;
        }
      }
    }
    if (failure instanceof RuntimeException re) {
      throw re;
    }
    if (failure instanceof Error err) {
      throw err;
    }
    if (failure != null) {
      throw new IllegalStateException("compute task failed", failure);
    }
  }

  /**
   * Splits {@code [0, n)} into chunks of at least {@code grain} indices and runs them; a single
   * call on the caller's thread when {@code n <= grain}.
   */
  void forRange(int n, int grain, RangeBody body) {
    if (n <= 0) {
      return;
    }
    if (pool == null || n <= grain) {
      body.run(0, n);
      return;
    }
    int chunks = (int) Math.min((n + (long) grain - 1) / grain, 4L * threads);
    forEach(chunks, c -> body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks)));
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }
}
