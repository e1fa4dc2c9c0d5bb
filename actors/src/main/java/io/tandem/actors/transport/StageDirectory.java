package io.tandem.actors.transport;

import io.tandem.actors.worker.StageWorker;
import io.tandem.proto.TensorFrameHeader;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The stage workers of this JVM by (job, virtual stage): where the data plane delivers the
 * tensors it receives. Thread-safe; one per node. An authenticating directory (the one a
 * cluster node uses) also holds each job's data plane key and accepts only frames signed with
 * it ({@link #accepts}); frames of unknown jobs or with a bad signature are refused.
 */
public final class StageDirectory {
  /** By job, then by replica * STAGES + virtual stage. */
  private final Map<String, Map<Long, ActorRef<StageWorker.Command>>> jobs = new ConcurrentHashMap<>();
  private final Map<String, byte[]> keys = new ConcurrentHashMap<>();
  private final boolean authenticating;
  private final LocalLanes lanes = new LocalLanes();
  private final SnapshotStore snapshots = new SnapshotStore();

  /** A directory that accepts unsigned frames (single-node tests and tools). */
  public StageDirectory() {
    this(false);
  }

  /** @param authenticating accept only frames signed with their job's key */
  public StageDirectory(boolean authenticating) {
    this.authenticating = authenticating;
  }

  public boolean authenticating() {
    return authenticating;
  }

  /**
   * The lanes of this node's workers: the data plane's reader threads hand a verified tensor
   * straight to its worker's inbox ({@link LocalLanes}), as workers of the node do among
   * themselves when their transport shares these lanes.
   */
  public LocalLanes lanes() {
    return lanes;
  }
  /** The in-memory layer snapshots this node holds (its workers' and its ring peer's). */
  public SnapshotStore snapshots() {
    return snapshots;
  }

  /** Jobs (or attempts of a job, after a re-plan) released on this node: their late frames are dropped. */
  private final java.util.Set<String> released = ConcurrentHashMap.newKeySet();

  public void register(String jobId, int stage, ActorRef<StageWorker.Command> worker) {
    register(jobId, 0, stage, worker);
  }

  /** The worker of {@code stage} in data-parallel replica {@code replica} of {@code jobId}. */
  public void register(String jobId, int replica, int stage, ActorRef<StageWorker.Command> worker) {
    jobs.computeIfAbsent(jobId, j -> new ConcurrentHashMap<>()).put(slot(replica, stage), worker);
  }

  private static long slot(int replica, int stage) {
    return ((long) replica << 32) | (stage & 0xffffffffL);
  }

  /** The data plane key of {@code jobId}: frames of the job must be signed with it. */
  public void authorize(String jobId, byte[] key) {
    keys.put(jobId, key.clone());
  }

  /** The data plane key of {@code jobId} (null: none), to check a frame's seal; not a copy. */
  byte[] keyOf(String jobId) {
    return keys.get(jobId);
  }

  public void unregister(String jobId) {
    released.add(jobId);
    jobs.remove(jobId);
    keys.remove(jobId);
  }

  /**
   * Whether a frame with this header may be looked at further: always for a directory that does
   * not authenticate; otherwise only when it is signed with the key of a job of this node.
   */
  public boolean accepts(TensorFrameHeader header) {
    if (!authenticating) {
      return true;
    }
    byte[] key = keys.get(header.getJobId());
    return key != null && TensorFrames.verify(header, key);
  }

  /**
   * Whether {@code jobId} had workers here that were released: a frame still in flight for it
   * (a peer finishing an aborted step) is stale, not an error.
   */
  public boolean wasReleased(String jobId) {
    return released.contains(jobId) && !jobs.containsKey(jobId);
  }

  /** The worker of {@code stage} in {@code jobId} (replica 0). */
  public Optional<ActorRef<StageWorker.Command>> lookup(String jobId, int stage) {
    return lookup(jobId, 0, stage);
  }

  /** The worker of {@code stage} in data-parallel replica {@code replica} of {@code jobId}. */
  public Optional<ActorRef<StageWorker.Command>> lookup(String jobId, int replica, int stage) {
    return Optional.ofNullable(jobs.getOrDefault(jobId, Map.of()).get(slot(replica, stage)));
  }

  /** Any job's worker holding {@code stage} (to tell it about a frame that names no job of ours). */
  public Optional<Map.Entry<String, ActorRef<StageWorker.Command>>> anyHolding(int stage) {
    for (Map.Entry<String, Map<Long, ActorRef<StageWorker.Command>>> e : jobs.entrySet()) {
      ActorRef<StageWorker.Command> w = e.getValue().get(slot(0, stage));
      if (w != null) {
        return Optional.of(Map.entry(e.getKey(), w));
      }
    }
    return Optional.empty();
  }

  /** Every worker of this node (to fail their steps on an unreadable frame). */
  public Iterable<ActorRef<StageWorker.Command>> all() {
    return jobs.values().stream().flatMap(m -> m.values().stream()).distinct().toList();
  }
}
