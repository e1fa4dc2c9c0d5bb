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

  /**
   * The newest valid checkpoint in the store at {@code dir} but those of the steps in
   * {@code unusable} (a node could not restore them). Layer files kept on the disks of the nodes
   * that wrote them (no shared file system) are checked by those nodes as they restore them.
   */
  CompletionStage<Found> latestValid(String dir, java.util.Set<Long> unusable) {
    java.util.Set<Long> skip = java.util.Set.copyOf(unusable);
    return CompletableFuture.supplyAsync(() -> {
      List<String> skipped = new ArrayList<>();
      long step = new CheckpointStore(Path.of(dir), 1).latestValid(skipped::add, skip, true).map(c -> c.step())
          .orElse(-1L);
      return new Found(step, skipped);
    }, io);
  }

  /**
   * A checkpoint's manifest, and the layers whose files this node sees at the checkpoint's path
   * (all of them on a shared file system; none when the workers keep them on their own disks).
   */
  record Manifest(io.tandem.proto.CheckpointManifest manifest, java.util.Set<Integer> visibleHere) {
    Manifest {
      visibleHere = java.util.Set.copyOf(visibleHere);
    }
  }

  /** The manifest of the checkpoint of {@code step} in the store at {@code dir} (read on the io executor). */
  CompletionStage<Manifest> manifest(String dir, long step) {
    return CompletableFuture.supplyAsync(() -> {
      io.tandem.actors.checkpoint.Checkpoint c = CheckpointStore.read(Path.of(dir), step);
      java.util.Set<Integer> here = new java.util.HashSet<>();
      c.manifest().getFilesList().forEach(f -> {
        if (java.nio.file.Files.exists(c.dir().resolve(f.getName()))) {
          here.add(f.getLayer());
        }
      });
      return new Manifest(c.manifest(), here);
    }, io);
  }
}
