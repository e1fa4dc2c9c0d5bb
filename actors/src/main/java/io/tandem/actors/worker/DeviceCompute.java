package io.tandem.actors.worker;

import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A device ready to run a stage worker: its compute and the single-threaded executor that
 * compute runs on. Closing it releases both.
 */
public record DeviceCompute(StageCompute compute, Executor executor) implements AutoCloseable {
  /** How long {@link #close} waits for the op in flight before freeing the compute's memory. */
  private static final long CLOSE_WAIT_SECONDS = 30;

  /**
   * Stops the executor, waits (bounded) for the op it runs, then closes the compute: freeing
   * memory an op still uses would crash a GPU process. Blocking: not on an actor thread.
   */
  @Override
  public void close() {
    if (executor instanceof ExecutorService service) {
      service.shutdownNow();
      try {
        if (!service.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
          org.slf4j.LoggerFactory.getLogger(DeviceCompute.class).warn(
              "device compute still running {} s after close; closing it anyway", CLOSE_WAIT_SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    compute.close();
  }
}
