package io.tandem.actors.transport;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The in-memory layer snapshots one node holds (issue 14's peer snapshots): its own workers'
 * copies and the copies its ring peer sent over the data plane, by job, step and layer. Keeps
 * the newest {@value #STEPS_KEPT} steps of each job, within a memory budget (by default half the
 * heap): to make room a job's older steps go first; a state that still does not fit is not kept
 * (logged once per job), so the job restores from an older snapshot or its disk checkpoint rather
 * than the node running out of memory. Thread-safe: workers' io threads and the data plane's
 * reader threads put, the node agent's setup thread waits for layers of a restore.
 */
public final class SnapshotStore {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SnapshotStore.class);

  /** Steps of each job kept: the newest may still be arriving while the one before is the one to restore. */
  public static final int STEPS_KEPT = 3;

  /** A device's snapshot of one step is complete on this node: {@code layers} arrived. */
  public record BatchHeld(String job, long step, List<Integer> layers) {}

  private record Batch(String job, long step, int device) {}

  private final Map<String, NavigableMap<Long, Map<Integer, byte[]>>> jobs = new HashMap<>();
  private final Map<Batch, java.util.SortedSet<Integer>> batches = new HashMap<>();
  private volatile Consumer<BatchHeld> listener = b -> {};
  private final long maxBytes;
  private long held;
  private final java.util.Set<String> warned = new java.util.HashSet<>();

  /** A store whose budget is half the heap this JVM may grow to. */
  public SnapshotStore() {
    this(Runtime.getRuntime().maxMemory() / 2);
  }

  /** A store holding at most {@code maxBytes} of layer states. */
  public SnapshotStore(long maxBytes) {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("a snapshot store's budget must be > 0 bytes, got " + maxBytes);
    }
    this.maxBytes = maxBytes;
  }

  /** Who hears of complete batches (the node agent, which tells the job). */
  public void onBatchHeld(Consumer<BatchHeld> listener) {
    this.listener = listener;
  }

  /**
   * Keeps {@code state} of {@code layer} after {@code step} steps of {@code job}; false when it is
   * not kept (older than every step kept, or over the budget even without the job's older steps).
   */
  public synchronized boolean put(String job, long step, int layer, byte[] state) {
    NavigableMap<Long, Map<Integer, byte[]>> steps = jobs.computeIfAbsent(job, j -> new TreeMap<>());
    if (!steps.isEmpty() && step < steps.firstKey() && steps.size() >= STEPS_KEPT) {
      return false; // older than everything kept
    }
    byte[] before = steps.containsKey(step) ? steps.get(step).get(layer) : null;
    long need = state.length - (before == null ? 0 : before.length);
    long droppable = 0; // the job's steps older than this one
    for (Map<Integer, byte[]> layers : steps.headMap(step, false).values()) {
      for (byte[] b : layers.values()) {
        droppable += b.length;
      }
    }
    if (held - droppable + need > maxBytes) { // it would not fit even without them: keep them
      if (warned.add(job)) {
        LOG.warn("snapshot of job '{}' after step {} not kept: layer {} needs {} MiB and this node holds {} MiB of"
            + " snapshots, its budget being {} MiB (half the heap: raise -Xmx, or --snapshot-every 0); the job"
            + " restores from an older snapshot or its disk checkpoint", job, step, layer, state.length >> 20,
            held >> 20, maxBytes >> 20);
      }
      if (steps.isEmpty()) {
        jobs.remove(job);
      }
      return false;
    }
    while (held + need > maxBytes) {
      dropOldest(job, steps);
    }
    steps.computeIfAbsent(step, s -> new HashMap<>()).put(layer, state);
    held += need;
    while (steps.size() > STEPS_KEPT) {
      dropOldest(job, steps);
    }
    notifyAll();
    return true;
  }

  private void dropOldest(String job, NavigableMap<Long, Map<Integer, byte[]>> steps) {
    Map.Entry<Long, Map<Integer, byte[]>> oldest = steps.pollFirstEntry();
    oldest.getValue().values().forEach(b -> held -= b.length);
    long dropped = oldest.getKey();
    batches.keySet().removeIf(b -> b.job().equals(job) && b.step() == dropped);
  }

  /**
   * A peer's shard arrived: kept, and once all {@code batch} layers of its device's snapshot of
   * that step are here the listener hears of them ({@code batch} 0: a restore transfer, not reported).
   */
  public void received(String job, long step, int layer, byte[] state, int device, int batch) {
    if (!put(job, step, layer, state) || batch <= 0) {
      return;
    }
    BatchHeld complete = null;
    synchronized (this) {
      Batch key = new Batch(job, step, device);
      java.util.SortedSet<Integer> got = batches.computeIfAbsent(key, k -> new java.util.TreeSet<>());
      got.add(layer);
      if (got.size() == batch) {
        batches.remove(key);
        complete = new BatchHeld(job, step, List.copyOf(got));
      }
    }
    if (complete != null) {
      listener.accept(complete);
    }
  }

  /** The state of {@code layer} after {@code step} steps of {@code job}, if held here. */
  public synchronized Optional<byte[]> get(String job, long step, int layer) {
    NavigableMap<Long, Map<Integer, byte[]>> steps = jobs.get(job);
    Map<Integer, byte[]> layers = steps == null ? null : steps.get(step);
    return Optional.ofNullable(layers == null ? null : layers.get(layer));
  }

  /** {@link #get}, waiting up to {@code timeout} for it to arrive. */
  public byte[] await(String job, long step, int layer, Duration timeout)
      throws TimeoutException, InterruptedException {
    return await(job, step, layer, timeout, () -> false);
  }

  /**
   * {@link #get}, waiting up to {@code timeout} for it to arrive; gives up (a timeout naming why)
   * as soon as {@code abandoned} says so (checked at least every 200 ms).
   */
  public synchronized byte[] await(String job, long step, int layer, Duration timeout,
      java.util.function.BooleanSupplier abandoned) throws TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Optional<byte[]> state = get(job, step, layer);
      if (state.isPresent()) {
        return state.get();
      }
      long left = deadline - System.nanoTime();
      if (left <= 0 || abandoned.getAsBoolean()) {
        throw new TimeoutException("layer " + layer + " of the snapshot after step " + step + " of job '" + job
            + (left <= 0 ? "' did not arrive within " + timeout.toSeconds() + " s" : "' did not arrive before the"
            + " restore was abandoned"));
      }
      wait(Math.max(1, Math.min(200, left / 1_000_000)));
    }
  }

  /** Forgets every snapshot of {@code job}. */
  public synchronized void drop(String job) {
    NavigableMap<Long, Map<Integer, byte[]>> steps = jobs.remove(job);
    if (steps != null) {
      steps.values().forEach(layers -> layers.values().forEach(b -> held -= b.length));
    }
    batches.keySet().removeIf(b -> b.job().equals(job));
    warned.remove(job);
  }

  /** Bytes held for {@code job} (all steps kept). */
  public synchronized long bytes(String job) {
    long n = 0;
    for (Map<Integer, byte[]> layers : jobs.getOrDefault(job, new TreeMap<>()).values()) {
      for (byte[] b : layers.values()) {
        n += b.length;
      }
    }
    return n;
  }
}
