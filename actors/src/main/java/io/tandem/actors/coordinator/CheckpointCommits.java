package io.tandem.actors.coordinator;

import io.tandem.actors.worker.StageWorker;
import io.tandem.actors.checkpoint.CheckpointStore;
import io.tandem.proto.CheckpointFile;
import io.tandem.proto.CheckpointManifest;
import io.tandem.proto.Plan;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * The coordinator's side of a checkpoint (DESIGN.md "Checkpoints"): gathers every worker's
 * {@link StageWorker.CheckpointWritten}, builds the manifest once all have written, and commits
 * it on the blocking executor (temp file, fsync, rename). Not thread-safe: the coordinator's
 * actor calls it; only {@link #commit} runs elsewhere.
 */
final class CheckpointCommits {

  /**
   * What a finished commit reports: the event kind ({@code checkpoint} or {@code checkpoint-skipped})
   * and its line; {@code oldestKept}: the oldest checkpoint the store keeps after it (0: unknown).
   */
  record Outcome(long step, String kind, String message, long oldestKept) {
    Outcome(long step, String kind, String message) {
      this(step, kind, message, 0);
    }
  }

  private final CheckpointPolicy policy;
  private final int workers;
  private final Map<Long, SortedMap<Integer, StageWorker.CheckpointWritten>> pending = new TreeMap<>();
  private int inFlight;
  /** The oldest checkpoint kept after the last commit: workers delete older files on their own disks. */
  private long keepFrom;
  /**
   * The last commit handed to the io executor: commits run one after another in step order, since
   * each also prunes old checkpoints and two prunes at once trip over each other's deletions.
   */
  private CompletableFuture<?> lastCommit = CompletableFuture.completedFuture(null);

  CheckpointCommits(CheckpointPolicy policy, int workers) {
    this.policy = policy;
    this.workers = workers;
  }

  /** The workers were asked to checkpoint after {@code step} steps. */
  void expect(long step) {
    pending.put(step, new TreeMap<>());
  }

  /** A worker could not write its files: the checkpoint of {@code step} will not be committed. */
  void dropped(long step) {
    pending.remove(step);
  }

  /**
   * Whether a checkpoint is under way: asked of the workers and not yet dropped, or its commit's
   * outcome not yet handled. The job succeeds only after its checkpoints are settled.
   */
  boolean busy() {
    return inFlight > 0 || !pending.isEmpty();
  }

  /**
   * Records a worker's files. Returns null while workers are missing; then either the manifest
   * commit, running on {@code io}, or (completed at once) why the checkpoint is skipped.
   */
  CompletableFuture<Outcome> written(StageWorker.CheckpointWritten w, Plan plan, Executor io) {
    SortedMap<Integer, StageWorker.CheckpointWritten> acked = pending.get(w.step());
    if (acked == null) {
      return null;
    }
    acked.put(w.device(), w);
    if (acked.size() < workers) {
      return null;
    }
    pending.remove(w.step());
    CheckpointManifest.Builder m = CheckpointManifest.newBuilder().setJobId(policy.jobId()).setStep(w.step())
        .setDataPosition(w.step()).setRngSeed(policy.seed()).setCreatedUnixMs(System.currentTimeMillis())
        .setPlan(plan);
    if (policy.spec() != null) {
      m.setSpec(policy.spec());
    }
    SortedMap<Integer, CheckpointFile> files = new TreeMap<>();
    double blocking = 0;
    for (StageWorker.CheckpointWritten d : acked.values()) {
      d.files().forEach(f -> files.put(f.getLayer(), f));
      blocking = Math.max(blocking, d.blockingMs());
    }
    m.addAllFiles(files.values()).setLayers(files.size());
    inFlight++;
    if (!files.isEmpty() && (files.firstKey() != 0 || files.lastKey() != files.size() - 1)) {
      return CompletableFuture.completedFuture(new Outcome(w.step(), "checkpoint-skipped", "checkpoint step-" + w.step()
          + " not committed: layers " + files.keySet() + " are not every layer once"));
    }
    return commit(m.build(), files.size(), blocking, io);
  }

  /** The coordinator has handled {@code outcome}, of {@link #written}. */
  void finished(Outcome outcome) {
    inFlight--;
    keepFrom = Math.max(keepFrom, outcome.oldestKept());
  }

  /**
   * The oldest checkpoint the store keeps (0: none committed yet): a worker that keeps its layer
   * files on its own disk deletes those of older steps ({@link StageWorker.TakeCheckpoint#keepFrom}).
   */
  long keepFrom() {
    return keepFrom;
  }

  private CompletableFuture<Outcome> commit(CheckpointManifest manifest, int layers, double blocking, Executor io) {
    long step = manifest.getStep();
    CompletableFuture<Outcome> done = lastCommit.handleAsync((previous, error) -> {
      CheckpointStore store = new CheckpointStore(Path.of(policy.dir()), policy.keep());
      store.commit(manifest);
      java.util.List<Long> kept = store.committedSteps();
      return new Outcome(step, "checkpoint", String.format(Locale.ROOT,
          "checkpoint step-%d committed (%d layer files, snapshot blocked compute %.1f ms)", step, layers, blocking),
          kept.isEmpty() ? 0 : kept.get(kept.size() - 1));
    }, io).exceptionally(e -> {
      Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      return new Outcome(step, "checkpoint-skipped", "checkpoint step-" + step + " not committed: " + c.getMessage());
    });
    lastCommit = done;
    return done;
  }
}
