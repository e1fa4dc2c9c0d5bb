package io.tandem.actors.worker;

import io.tandem.actors.transport.HostTensor;
import io.tandem.actors.transport.TensorTransport;
import io.tandem.proto.TensorFrameHeader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * One device's part in the data-parallel gradient all-reduce between the replicas of its pipeline
 * stage: a direct reduce-scatter then all-gather per bucket (a virtual stage's layers), over the
 * tensor transport (the data plane across JVMs). As soon as a bucket's last W of the step is done,
 * the device {@link #scatter}s it: slice {@code r} ({@link GradientSlices}) goes to replica
 * {@code r}. The owner adds the D parts of its slice in replica order and {@link #gather}s the
 * result to every replica; a bucket whose D reduced slices are in is loaded back into the device.
 * Each replica sends and receives {@code 2(D-1)/D} of the bucket, the bound of a ring, and every
 * element is summed in replica order (the reference trainer's {@code dataParallel} grouping), so
 * all replicas hold the same reduced gradient bit for bit.
 *
 * <p>{@link #scatter} and {@link #gather} are thread-safe (the compute thread calls them); the
 * bookkeeping ({@link #begin}, {@link #arrived}, {@link #uploaded}) belongs to one thread, the
 * owning worker's.
 */
public final class GradientAllReduce {

  /** What an arrived frame makes ready: nothing, a slice to sum, or a bucket to load. */
  public sealed interface Ready {}

  /** All D parts of this replica's slice of {@code bucket}, index = replica: add them in that order. */
  public record SumSlice(long step, int bucket, float[][] parts) implements Ready {}

  /** All D reduced slices of {@code bucket}, put together: load them into the device. */
  public record LoadBucket(long step, int bucket, float[] reduced) implements Ready {}

  /** Frames of one step, by bucket. */
  private static final class StepState {
    final Map<Integer, float[][]> parts = new HashMap<>();
    final Map<Integer, float[][]> reduced = new HashMap<>();
    final Set<Integer> loaded = new HashSet<>();
  }

  private final String jobId;
  private final int replica;
  private final List<ActorRef<StageWorker.Command>> sameDevice;
  private final SortedSet<Integer> buckets;
  private final TensorTransport transport;
  private final Map<Long, StepState> steps = new HashMap<>();

  /**
   * @param sameDevice the worker of this device in every replica (index = replica; this one's own
   *     ref at {@code replica}, whose frames go to it by {@code tell})
   * @param buckets the virtual stages this device holds (every replica's worker of it holds them)
   */
  public GradientAllReduce(String jobId, int replica, List<ActorRef<StageWorker.Command>> sameDevice,
      Set<Integer> buckets, TensorTransport transport) {
    if (replica < 0 || replica >= sameDevice.size()) {
      throw new IllegalArgumentException("replica " + replica + " of " + sameDevice.size());
    }
    this.jobId = jobId;
    this.replica = replica;
    this.sameDevice = List.copyOf(sameDevice);
    this.buckets = new TreeSet<>(buckets);
    this.transport = transport;
  }

  public int replicas() {
    return sameDevice.size();
  }

  /** The buckets, in order. */
  public SortedSet<Integer> buckets() {
    return java.util.Collections.unmodifiableSortedSet(buckets);
  }

  /** A new step starts: forgets older steps' frames (frames of this step that came early stay). */
  public void begin(long step) {
    steps.keySet().removeIf(k -> k < step);
  }

  /**
   * Reduce-scatter: {@code bucket}'s gradients of {@code step} are complete on this device; sends
   * slice {@code r} to replica {@code r} (its own slice to itself). Thread-safe.
   */
  public CompletionStage<Void> scatter(long step, int bucket, float[] gradients) {
    List<CompletableFuture<Void>> sent = new ArrayList<>();
    for (int r = 0; r < replicas(); r++) {
      sent.add(send(step, bucket, r, false, GradientSlices.slice(gradients, replicas(), r)));
    }
    return CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new));
  }

  /** All-gather: sends this replica's reduced slice of {@code bucket} to every replica (itself included). Thread-safe. */
  public CompletionStage<Void> gather(long step, int bucket, float[] reducedSlice) {
    List<CompletableFuture<Void>> sent = new ArrayList<>();
    for (int r = 0; r < replicas(); r++) {
      sent.add(send(step, bucket, r, true, reducedSlice));
    }
    return CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new));
  }

  private CompletableFuture<Void> send(long step, int bucket, int to, boolean reduced, float[] slice) {
    HostTensor t = new HostTensor(new int[] {1, slice.length}, slice);
    TensorFrameHeader h = TensorFrameHeader.newBuilder().setJobId(jobId).setStep(step).setTargetStage(bucket)
        .setGradient(true).setAllReduce(true).setReducedSlice(reduced).setReplica(to).setFromReplica(replica)
        .setPayloadBytes(t.bytes()).addShape(1).addShape(slice.length).build();
    StageWorker.TensorArrived frame = new StageWorker.TensorArrived(h, t);
    if (to == replica) {
      sameDevice.get(to).tell(frame);
      return CompletableFuture.completedFuture(null);
    }
    try {
      return transport.send(sameDevice.get(to), frame).toCompletableFuture();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * An all-reduce frame for this worker arrived (its own included): returns what it completes,
   * or null. A frame that does not fit (unknown replica or bucket, a slice this replica does not
   * own, a duplicate) throws {@link IllegalArgumentException} naming it.
   */
  public Ready arrived(TensorFrameHeader h, HostTensor tensor) {
    int from = h.getFromReplica();
    int bucket = h.getTargetStage();
    if (from < 0 || from >= replicas()) {
      throw new IllegalArgumentException("all-reduce frame from replica " + from + ", the job has " + replicas());
    }
    if (!buckets.contains(bucket)) {
      throw new IllegalArgumentException("all-reduce frame for virtual stage " + bucket + " arrived at replica "
          + replica + ", whose device holds " + buckets);
    }
    if (h.getReplica() != replica) {
      throw new IllegalArgumentException("all-reduce frame for replica " + h.getReplica() + " arrived at replica "
          + replica);
    }
    StepState state = steps.computeIfAbsent(h.getStep(), k -> new StepState());
    Map<Integer, float[][]> byBucket = h.getReducedSlice() ? state.reduced : state.parts;
    float[][] slices = byBucket.computeIfAbsent(bucket, k -> new float[replicas()][]);
    if (slices[from] != null) {
      throw new IllegalArgumentException("replica " + from + " sent its " + (h.getReducedSlice() ? "reduced " : "")
          + "slice of virtual stage " + bucket + " (step " + h.getStep() + ") twice");
    }
    slices[from] = tensor.data();
    for (float[] s : slices) {
      if (s == null) {
        return null;
      }
    }
    byBucket.remove(bucket);
    return h.getReducedSlice() ? new LoadBucket(h.getStep(), bucket, GradientSlices.assemble(slices))
        : new SumSlice(h.getStep(), bucket, slices);
  }

  /** {@code bucket}'s reduced gradients of {@code step} are loaded; returns whether every bucket's are. */
  public boolean loaded(long step, int bucket) {
    StepState state = steps.computeIfAbsent(step, k -> new StepState());
    state.loaded.add(bucket);
    return state.loaded.containsAll(buckets);
  }

  /** Whether every bucket of {@code step} is loaded. */
  public boolean complete(long step) {
    StepState state = steps.get(step);
    return state != null && state.loaded.containsAll(buckets);
  }
}
