package io.tandem.actors.blocking;

/**
 * Catches blocking work on a Pekko dispatcher thread: every blocking helper (checkpoint file
 * writes, reads and hashes, fsync, GPU synchronisation) calls {@link #assertNotOnDispatcher}
 * first. Always on: it only looks at the current thread's name, which Pekko sets to
 * {@code <system>-pekko.actor.default-dispatcher-N} (likewise for its internal, remote and
 * stream dispatchers). Its blocking-I/O dispatcher is allowed.
 */
public final class DispatcherGuard {
  private DispatcherGuard() {}

  /**
   * Throws {@link IllegalStateException} naming {@code what} when called on a Pekko dispatcher
   * thread: run it on {@link BlockingExecutors#io()} (or the device's executor) and pipe the
   * result back to the actor instead.
   */
  public static void assertNotOnDispatcher(String what) {
    String thread = Thread.currentThread().getName();
    if (isDispatcherThread(thread)) {
      throw new IllegalStateException(what + " is blocking and must not run on the dispatcher thread " + thread
          + ": run it on BlockingExecutors.io() and pipe the result to the actor");
    }
  }

  /** Whether a thread of this name belongs to a Pekko dispatcher that must not block. */
  public static boolean isDispatcherThread(String threadName) {
    return threadName.contains("pekko.") && threadName.contains("dispatcher")
        && !threadName.contains("blocking-io-dispatcher");
  }
}
