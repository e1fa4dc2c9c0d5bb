package io.tandem.actors.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** A {@link CheckpointLookup} whose lookups the test completes by hand. */
final class TestingCheckpointLookup extends CheckpointLookup {
  final List<String> dirs = new ArrayList<>();
  /** The steps each lookup was told to pass over. */
  final List<java.util.Set<Long>> skipped = new ArrayList<>();
  final List<CompletableFuture<Found>> lookups = new ArrayList<>();

  TestingCheckpointLookup() {
    super(Runnable::run);
  }

  @Override
  CompletionStage<Found> latestValid(String dir, java.util.Set<Long> unusable) {
    dirs.add(dir);
    skipped.add(java.util.Set.copyOf(unusable));
    CompletableFuture<Found> f = new CompletableFuture<>();
    lookups.add(f);
    return f;
  }
}
