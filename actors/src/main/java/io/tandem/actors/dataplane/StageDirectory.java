package io.tandem.actors.dataplane;

import io.tandem.actors.StageWorker;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The stage workers of this JVM by (job, virtual stage): where the data plane delivers the
 * tensors it receives. Thread-safe; one per node.
 */
public final class StageDirectory {
  private final Map<String, Map<Integer, ActorRef<StageWorker.Command>>> jobs = new ConcurrentHashMap<>();
  /** Jobs (or attempts of a job, after a re-plan) released on this node: their late frames are dropped. */
  private final java.util.Set<String> released = ConcurrentHashMap.newKeySet();

  public void register(String jobId, int stage, ActorRef<StageWorker.Command> worker) {
    jobs.computeIfAbsent(jobId, j -> new ConcurrentHashMap<>()).put(stage, worker);
  }

  public void unregister(String jobId) {
    released.add(jobId);
    jobs.remove(jobId);
  }

  /**
   * Whether {@code jobId} had workers here that were released: a frame still in flight for it
   * (a peer finishing an aborted step) is stale, not an error.
   */
  public boolean wasReleased(String jobId) {
    return released.contains(jobId) && !jobs.containsKey(jobId);
  }

  /** The worker of {@code stage} in {@code jobId}. */
  public Optional<ActorRef<StageWorker.Command>> lookup(String jobId, int stage) {
    return Optional.ofNullable(jobs.getOrDefault(jobId, Map.of()).get(stage));
  }

  /** Any job's worker holding {@code stage} (to tell it about a frame that names no job of ours). */
  public Optional<Map.Entry<String, ActorRef<StageWorker.Command>>> anyHolding(int stage) {
    for (Map.Entry<String, Map<Integer, ActorRef<StageWorker.Command>>> e : jobs.entrySet()) {
      ActorRef<StageWorker.Command> w = e.getValue().get(stage);
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
