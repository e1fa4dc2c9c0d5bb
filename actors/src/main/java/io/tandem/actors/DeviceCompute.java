package io.tandem.actors;

import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;

/**
 * A device ready to run a stage worker: its compute and the single-threaded executor that
 * compute runs on. Closing it releases both.
 */
public record DeviceCompute(StageCompute compute, Executor executor) implements AutoCloseable {
  @Override
  public void close() {
    if (executor instanceof ExecutorService service) {
      service.shutdownNow();
    }
    compute.close();
  }
}
