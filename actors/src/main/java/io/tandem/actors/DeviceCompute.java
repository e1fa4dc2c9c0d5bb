package io.tandem.actors;

import java.util.concurrent.ExecutorService;

/**
 * A device ready to run a stage worker: its compute and the single-threaded executor that
 * compute runs on. Closing it releases both.
 */
public record DeviceCompute(StageCompute compute, ExecutorService executor) implements AutoCloseable {
  @Override
  public void close() {
    executor.shutdownNow();
    compute.close();
  }
}
