package io.tandem.actors.cluster;

import io.tandem.actors.checkpoint.CheckpointStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Checkpoint coordination for a job on the cluster: finds the newest valid checkpoint (reading
 * and hashing its files) on the blocking executor, never on the job's actor thread.
 */
class CheckpointLookup {

  /**
   * The lookup's outcome.
   *
   * @param step the newest valid checkpoint's step; -1 = none
   * @param skipped one line per newer checkpoint skipped, naming the bad file and why
   */
  record Found(long step, List<String> skipped) {
    public Found {
      skipped = List.copyOf(skipped);
    }
  }

  private final Executor io;

  CheckpointLookup(Executor io) {
    this.io = io;
  }

  /** The newest valid checkpoint in the store at {@code dir}. */
  CompletionStage<Found> latestValid(String dir) {
    return CompletableFuture.supplyAsync(() -> {
      List<String> skipped = new ArrayList<>();
      long step = new CheckpointStore(Path.of(dir), 1).latestValid(skipped::add).map(c -> c.step()).orElse(-1L);
      return new Found(step, skipped);
    }, io);
  }
}
