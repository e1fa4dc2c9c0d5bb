package io.tandem.actors.worker;

import io.tandem.actors.checkpoint.CheckpointStore;
import io.tandem.proto.CheckpointFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * A stage worker's share of a checkpoint (DESIGN.md "Checkpoints"): its layers' states copied
 * to host memory on the device's compute executor (queued at once, so before any op of the next
 * step), then one file per layer written and fsynced on the blocking executor while training
 * goes on. Completes with the reply for the coordinator.
 */
final class WorkerCheckpoint {
  private WorkerCheckpoint() {}

  /**
   * Snapshots {@code compute} on {@code executor}, writes the files under {@code dir} (the job's
   * checkpoint directory on this node's disk) on {@code io} (each entry
   * naming {@code node}, where the file lives: DESIGN.md "Checkpoints without a shared disk"), and completes
   * with {@link StageWorker.CheckpointWritten} or {@link StageWorker.CheckpointFailed} (never exceptionally).
   */
  static CompletableFuture<StageWorker.Reply> take(StageWorker.TakeCheckpoint msg, Path dir, int device,
      StageCompute compute, Executor executor, Executor io, String node) {
    long step = msg.step();
    double[] blockingMs = {-1}; // set once the snapshot is taken
    return CompletableFuture.supplyAsync(() -> {
      long t0 = System.nanoTime();
      SortedMap<Integer, byte[]> state = compute.snapshot();
      blockingMs[0] = (System.nanoTime() - t0) / 1e6;
      return state;
    }, executor).<StageWorker.Reply>thenApplyAsync(state -> {
      CheckpointStore store = new CheckpointStore(dir, 1);
      List<CheckpointFile> files = new ArrayList<>();
      state.forEach((layer, bytes) -> files.add(store.writeLayer(msg.jobId(), step, layer, bytes).toBuilder()
          .setNode(node).build()));
      store.deleteBefore(msg.keepFrom()); // the coordinator keeps none of those: files of this node's disk
      return new StageWorker.CheckpointWritten(device, step, files, blockingMs[0]);
    }, io).exceptionally(e -> {
      Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      String what = blockingMs[0] < 0 ? "snapshot for" : "writing checkpoint";
      return new StageWorker.CheckpointFailed(device, step, "device " + device + ": " + what + " step " + step
          + " failed: " + (c.getMessage() == null ? c.toString() : c.getMessage()));
    });
  }
}
