package io.tandem.actors.worker;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Side work for a device's compute thread (the data-parallel all-reduce's slice sums and
 * gradient uploads): while a step's {@link StepLoop} runs, it takes the work between ops and while
 * it waits for an input tensor, so the work never waits for the whole program; otherwise the work
 * goes straight to the device's executor. Either way it runs on the compute thread, one piece at a
 * time, never beside an op. Thread-safe.
 */
final class ComputeGaps {
  private final Executor executor;
  /** Woken when work arrives, so a loop waiting for a tensor takes it. */
  private final TensorInbox inbox;
  private final ArrayDeque<Runnable> queued = new ArrayDeque<>();
  /** Step loops created and not yet ended (a stopped one may still be finishing its op). */
  private int loops;

  ComputeGaps(Executor executor, TensorInbox inbox) {
    this.executor = executor;
    this.inbox = inbox;
  }

  /** Runs {@code work} on the compute thread at its next gap; the future completes with its result. */
  <T> CompletableFuture<T> submit(Supplier<T> work) {
    CompletableFuture<T> result = new CompletableFuture<>();
    Runnable task = () -> {
      try {
        result.complete(work.get());
      } catch (RuntimeException | Error e) {
        result.completeExceptionally(e);
      }
    };
    boolean queue;
    synchronized (this) {
      queue = loops > 0;
      if (queue) {
        queued.add(task);
      }
    }
    if (queue) {
      inbox.wake();
    } else {
      try {
        executor.execute(task);
      } catch (RuntimeException e) { // the executor was shut down: the device is closing
        result.completeExceptionally(e);
      }
    }
    return result;
  }

  /**
   * A step loop is created and about to be submitted to the compute thread: from now on work waits
   * for its gaps (not behind the whole loop in the executor's queue).
   */
  synchronized void loopStarted() {
    loops++;
  }

  /** A step loop ended: once none is left, work it left goes to the executor, in order, as will new work. */
  void loopEnded() {
    ArrayDeque<Runnable> left;
    synchronized (this) {
      loops--;
      if (loops > 0) {
        return;
      }
      left = new ArrayDeque<>(queued);
      queued.clear();
    }
    for (Runnable task : left) {
      try {
        executor.execute(task);
      } catch (RuntimeException e) { // shut down: the device is closing, the step is gone
        return;
      }
    }
  }

  /** Whether work waits for a gap. */
  synchronized boolean pending() {
    return !queued.isEmpty();
  }

  /** The loop's gap: runs the work queued so far (on the calling thread, the compute thread). */
  void runPending() {
    while (true) {
      Runnable next;
      synchronized (this) {
        next = queued.poll();
      }
      if (next == null) {
        return;
      }
      next.run();
    }
  }
}
