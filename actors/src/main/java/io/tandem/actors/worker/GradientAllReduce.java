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
 * {@code r}, in pieces of at most {@code pieceFloats} floats. The owner adds the D parts of each
 * piece in replica order and {@link #gather}s the result to every replica; a bucket whose reduced
 * pieces are all in is loaded back into the device.
 * Each replica sends and receives {@code 2(D-1)/D} of the bucket, the bound of a ring, and every
 * element is summed in replica order (the reference trainer's {@code dataParallel} grouping), so
 * all replicas hold the same reduced gradient bit for bit.
 *
 * <p>{@link #scatter} and {@link #gather} are thread-safe (the compute thread calls them); the
 * bookkeeping ({@link #begin}, {@link #arrived}, {@link #loaded}) belongs to one thread, the
 * owning worker's.
 */
public final class GradientAllReduce {

  /** What an arrived frame makes ready: nothing, a slice to sum, or a bucket to load. */
  public sealed interface Ready {}

  /** All D parts of a piece of this replica's slice of {@code bucket}, index = replica: add them in that order. */
  public record SumSlice(long step, int bucket, int piece, float[][] parts) implements Ready {}

  /**
   * All D reduced slices of {@code bucket}: load them into the device. {@code pieces} are the
   * reduced pieces in order (slice by slice, piece by piece): concatenated they are the bucket,
   * which is never copied whole here (at 100M parameters a bucket is hundreds of MB).
   */
  public record LoadBucket(long step, int bucket, float[][] pieces) implements Ready {
    /** The bucket as one array (a copy). */
    public float[] reduced() {
      return GradientSlices.concat(pieces);
    }
  }

  /** A bucket being gathered: the reduced pieces by their index in the bucket, and how many have come. */
  private static final class Gathering {
    final float[][] pieces;
    /** Index of each slice's first piece (index = owner). */
    final int[] firstPiece;
    int got;

    Gathering(int n, int replicas, int pieceFloats) {
      firstPiece = new int[replicas];
      int pieces = 0;
      for (int r = 0; r < replicas; r++) {
        firstPiece[r] = pieces;
        pieces += GradientSlices.pieces(GradientSlices.start(n, replicas, r + 1) - GradientSlices.start(n, replicas, r),
            pieceFloats);
      }
      this.pieces = new float[pieces][];
    }
  }

  /** Frames of one step: parts by bucket and piece, reduced pieces by bucket. */
  private static final class StepState {
    final Map<Long, float[][]> parts = new HashMap<>();
    final Map<Integer, Gathering> gathering = new HashMap<>();
    final Set<Integer> loaded = new HashSet<>();
  }

  /** A bucket's size, known once this replica scattered it. */
  private record BucketOfStep(long step, int bucket) {}

  private final String jobId;
  private final int replica;
  private final List<ActorRef<StageWorker.Command>> sameDevice;
  /**
   * Per reduction group, the replica whose worker holds its part and slice ({@code hostOf}) and
   * that worker ({@code targets}): each group's own, or after {@link #rerouted} a lost group's
   * host. A group is intact when it is its own host; reduced slices go to the intact ones only.
   */
  private record Routing(List<Integer> hostOf, List<ActorRef<StageWorker.Command>> targets) {
    boolean intact(int group) {
      return hostOf.get(group) == group;
    }
  }

  /** Every group its own host. */
  private final Routing original;
  /** Replaced whole ({@link #rerouted}, on the worker's thread); read once per bucket on the compute thread. */
  private volatile Routing routing;
  private final SortedSet<Integer> buckets;
  private final TensorTransport transport;
  private final int pieceFloats;
  private final Map<Long, StepState> steps = new HashMap<>();
  /** Elements of each bucket this replica scattered (written on the compute thread, read on the worker's). */
  private final Map<BucketOfStep, Integer> sizes = new java.util.concurrent.ConcurrentHashMap<>();
  /** Buckets scattered with the original targets (before {@link #rerouted}; written on the compute thread). */
  private final Set<BucketOfStep> toOriginal = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * @param sameDevice the worker of this device in every replica (index = replica; this one's own
   *     ref at {@code replica}, whose frames go to it by {@code tell})
   * @param buckets the virtual stages this device holds (every replica's worker of it holds them)
   */
  public GradientAllReduce(String jobId, int replica, List<ActorRef<StageWorker.Command>> sameDevice,
      Set<Integer> buckets, TensorTransport transport) {
    this(jobId, replica, sameDevice, buckets, transport, GradientSlices.PIECE_FLOATS);
  }

  /** @param pieceFloats the most elements one frame of a slice carries */
  public GradientAllReduce(String jobId, int replica, List<ActorRef<StageWorker.Command>> sameDevice,
      Set<Integer> buckets, TensorTransport transport, int pieceFloats) {
    if (pieceFloats < 1) {
      throw new IllegalArgumentException("pieces of " + pieceFloats + " floats");
    }
    if (replica < 0 || replica >= sameDevice.size()) {
      throw new IllegalArgumentException("replica " + replica + " of " + sameDevice.size());
    }
    this.jobId = jobId;
    this.replica = replica;
    this.sameDevice = List.copyOf(sameDevice);
    List<Integer> own = new ArrayList<>();
    for (int r = 0; r < sameDevice.size(); r++) {
      own.add(r);
    }
    this.original = new Routing(List.copyOf(own), this.sameDevice);
    this.routing = original;
    this.buckets = new TreeSet<>(buckets);
    this.transport = transport;
    this.pieceFloats = pieceFloats;
  }

  public int replicas() {
    return sameDevice.size();
  }

  /**
   * A rerouted step: reduction group {@code g}'s part and slice are with replica
   * {@code hostOf.get(g)} from now on (a lost group's with the intact replica that runs its
   * microbatches), and reduced slices go to the intact replicas only ({@code hostOf.get(r) == r}).
   * The sums stay in group order: a part is indexed by the group it belongs to, not its sender.
   */
  public void rerouted(List<Integer> hostOf) {
    if (hostOf.size() != replicas()) {
      throw new IllegalArgumentException("hosts for " + hostOf.size() + " reduction groups, the job has " + replicas());
    }
    routing = hostOf.equals(original.hostOf()) ? original
        : new Routing(List.copyOf(hostOf), hostOf.stream().map(sameDevice::get).toList());
  }

  /**
   * A rerouted step: sends only the slices {@code slices} of this replica's part of {@code bucket}
   * (those whose owner was lost, to their new hosts). Thread-safe.
   */
  public CompletionStage<Void> scatterSlices(long step, int bucket, float[] gradients, java.util.Collection<Integer> slices) {
    List<CompletableFuture<Void>> sent = new ArrayList<>();
    Routing to = routing;
    int n = gradients.length;
    for (int r : slices) {
      int length = GradientSlices.start(n, replicas(), r + 1) - GradientSlices.start(n, replicas(), r);
      for (int k = 0; k < GradientSlices.pieces(length, pieceFloats); k++) {
        sent.add(send(to, step, bucket, r, false, k, GradientSlices.piece(gradients, replicas(), r, k,
            pieceFloats)));
      }
    }
    return allSent(sent);
  }

  /** The buckets, in order. */
  public SortedSet<Integer> buckets() {
    return java.util.Collections.unmodifiableSortedSet(buckets);
  }

  /** A new step starts: forgets older steps' frames (frames of this step that came early stay). */
  public void begin(long step) {
    steps.keySet().removeIf(k -> k < step);
    sizes.keySet().removeIf(k -> k.step() < step);
    toOriginal.removeIf(k -> k.step() < step);
  }

  /**
   * Reduce-scatter: {@code bucket}'s gradients of {@code step} are complete on this device; sends
   * slice {@code r} to replica {@code r} (its own slice to itself). Thread-safe.
   */
  public CompletionStage<Void> scatter(long step, int bucket, float[] gradients) {
    sizes.put(new BucketOfStep(step, bucket), gradients.length);
    Routing to = routing; // one routing for the whole bucket
    if (to == original) {
      toOriginal.add(new BucketOfStep(step, bucket));
    }
    int n = gradients.length;
    List<CompletableFuture<Void>> sent = new ArrayList<>();
    int pieces = 0;
    for (int r = 0; r < replicas(); r++) {
      pieces = Math.max(pieces, GradientSlices.pieces(GradientSlices.start(n, replicas(), r + 1)
          - GradientSlices.start(n, replicas(), r), pieceFloats));
    }
    for (int k = 0; k < pieces; k++) { // piece by piece across owners, so every owner can start summing
      for (int i = 1; i <= replicas(); i++) {
        int r = (replica + i) % replicas(); // others first, own part last
        int length = GradientSlices.start(n, replicas(), r + 1) - GradientSlices.start(n, replicas(), r);
        if (k < GradientSlices.pieces(length, pieceFloats)) {
          sent.add(send(to, step, bucket, r, false, k, GradientSlices.piece(gradients, replicas(), r, k, pieceFloats)));
        }
      }
    }
    return allSent(sent);
  }

  /** Whether this replica scattered {@code bucket} of {@code step} before {@link #rerouted} (lost owners included). */
  public boolean scatteredToOriginalOwners(long step, int bucket) {
    return toOriginal.contains(new BucketOfStep(step, bucket));
  }

  /** All-gather: sends piece {@code piece} of this replica's reduced slice of {@code bucket} to every replica (itself included). Thread-safe. */
  public CompletionStage<Void> gather(long step, int bucket, int piece, float[] reduced) {
    List<CompletableFuture<Void>> sent = new ArrayList<>();
    Routing to = routing;
    for (int i = 1; i <= replicas(); i++) {
      int r = (replica + i) % replicas();
      if (to.intact(r)) {
        sent.add(send(to, step, bucket, r, true, piece, reduced));
      }
    }
    return allSent(sent);
  }

  /**
   * All-gather of a reduced bucket known whole here ({@code reducedBucket}, e.g. read back from a
   * device that loaded it): sends every piece of this replica's slice of it, as {@link #gather}
   * does once the slice is summed. Thread-safe.
   */
  public CompletionStage<Void> gatherSlice(long step, int bucket, float[] reducedBucket) {
    int n = reducedBucket.length;
    int length = GradientSlices.start(n, replicas(), replica + 1) - GradientSlices.start(n, replicas(), replica);
    List<CompletableFuture<Void>> sent = new ArrayList<>();
    for (int k = 0; k < GradientSlices.pieces(length, pieceFloats); k++) {
      sent.add(gather(step, bucket, k, GradientSlices.piece(reducedBucket, replicas(), replica, k, pieceFloats))
          .toCompletableFuture());
    }
    return allSent(sent);
  }

  /**
   * An all-reduce frame: {@code floats} from replica {@code from} to replica {@code to}'s worker of
   * this device, which holds virtual stage {@code targetStage}; {@code more} sets the kind's fields.
   */
  static StageWorker.TensorArrived frame(String jobId, long step, int targetStage, int to, int from, float[] floats,
      java.util.function.UnaryOperator<TensorFrameHeader.Builder> more) {
    HostTensor t = new HostTensor(new int[] {1, floats.length}, floats);
    TensorFrameHeader.Builder h = TensorFrameHeader.newBuilder().setJobId(jobId).setStep(step)
        .setTargetStage(targetStage).setGradient(true).setAllReduce(true).setReplica(to).setFromReplica(from)
        .setPayloadBytes(t.bytes()).addShape(1).addShape(floats.length);
    return new StageWorker.TensorArrived(more.apply(h).build(), t);
  }

  private CompletableFuture<Void> send(Routing routing, long step, int bucket, int to, boolean reduced, int piece,
      float[] slice) {
    int host = routing.hostOf().get(to); // the data plane delivers by replica: a lost group's slice goes to its host
    StageWorker.TensorArrived frame = frame(jobId, step, bucket, host, replica, slice,
        h -> h.setReducedSlice(reduced).setPiece(piece).setHostedGroup(host == to ? 0 : to + 1));
    ActorRef<StageWorker.Command> target = routing.targets().get(to);
    if (target.equals(sameDevice.get(replica))) { // this worker (a group it hosts included)
      target.tell(frame);
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> sent;
    try {
      sent = transport.sendPaced(target, frame).toCompletableFuture(); // many pieces: they wait for room
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    return sent.handle((ok, err) -> {
      if (err != null) {
        throw new SliceSendFailed(Set.of(to), err instanceof java.util.concurrent.CompletionException c
            && c.getCause() != null ? c.getCause() : err);
      }
      return null;
    });
  }

  /**
   * Completes when every send in {@code sent} has; if some failed, with one {@link SliceSendFailed}
   * naming every group whose frames did not go (or with a failure that names none, as it came).
   */
  private static CompletableFuture<Void> allSent(List<CompletableFuture<Void>> sent) {
    return CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).handle((ok, err) -> {
      if (err == null) {
        return null;
      }
      Set<Integer> groups = new TreeSet<>();
      Throwable first = null;
      for (CompletableFuture<Void> f : sent) {
        Throwable e = f.handle((v, x) -> x).join();
        if (e == null) {
          continue;
        }
        SliceSendFailed unsent = SliceSendFailed.in(e);
        if (unsent == null) {
          throw e instanceof java.util.concurrent.CompletionException c ? c : new java.util.concurrent.CompletionException(e);
        }
        groups.addAll(unsent.groups());
        first = first == null ? unsent.getCause() : first;
      }
      throw new SliceSendFailed(groups, first);
    });
  }

  /**
   * All-reduce frames for the workers of reduction groups {@link #groups} could not be sent; the
   * message is the first failure's. A rerouted step drops such a failure when every one of those
   * groups was lost (their slices go to the hosts instead), and fails on any other.
   */
  public static final class SliceSendFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Set<Integer> groups;

    SliceSendFailed(Set<Integer> groups, Throwable cause) {
      super(cause.getMessage() == null ? cause.toString() : cause.getMessage(), cause);
      this.groups = Set.copyOf(groups);
    }

    /** The reduction groups whose frames did not go. */
    public Set<Integer> groups() {
      return groups;
    }

    /** The {@code SliceSendFailed} among {@code error} and its causes, or null. */
    public static SliceSendFailed in(Throwable error) {
      for (Throwable t = error; t != null; t = t.getCause()) {
        if (t instanceof SliceSendFailed unsent) {
          return unsent;
        }
      }
      return null;
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
    if (sliceOf(h) != replica) {
      throw new IllegalArgumentException("all-reduce frame for replica " + sliceOf(h) + " arrived at replica "
          + replica);
    }
    StepState state = steps.computeIfAbsent(h.getStep(), k -> new StepState());
    int piece = h.getPiece();
    return h.getReducedSlice() ? reducedPiece(state, h, bucket, from, piece, tensor.data())
        : part(state, h, bucket, from, piece, tensor.data());
  }

  private Ready part(StepState state, TensorFrameHeader h, int bucket, int from, int piece, float[] data) {
    if (piece < 0) {
      throw new IllegalArgumentException("all-reduce frame with piece " + piece);
    }
    long key = ((long) bucket << 32) | piece;
    float[][] parts = state.parts.computeIfAbsent(key, k -> new float[replicas()][]);
    if (parts[from] != null) {
      if (sameAgain(parts[from], data)) {
        return null;
      }
      throw new IllegalArgumentException("replica " + from + " sent piece " + piece + " of its part of virtual stage "
          + bucket + " (step " + h.getStep() + ") twice");
    }
    parts[from] = data;
    for (float[] p : parts) {
      if (p == null) {
        return null;
      }
    }
    state.parts.remove(key);
    return new SumSlice(h.getStep(), bucket, piece, parts);
  }

  private Ready reducedPiece(StepState state, TensorFrameHeader h, int bucket, int owner, int piece, float[] data) {
    Integer n = sizes.get(new BucketOfStep(h.getStep(), bucket));
    if (n == null) {
      throw new IllegalArgumentException("replica " + owner + "'s reduced slice of virtual stage " + bucket + " (step "
          + h.getStep() + ") arrived before this replica sent its own gradients of it");
    }
    Gathering g = state.gathering.computeIfAbsent(bucket, k -> new Gathering(n, replicas(), pieceFloats));
    int length = GradientSlices.start(n, replicas(), owner + 1) - GradientSlices.start(n, replicas(), owner);
    int at = GradientSlices.pieceStart(n, replicas(), owner, piece, pieceFloats);
    int expectedLength = Math.min(pieceFloats, GradientSlices.start(n, replicas(), owner + 1) - at);
    if (piece < 0 || piece >= GradientSlices.pieces(length, pieceFloats) || data.length != expectedLength) {
      throw new IllegalArgumentException("replica " + owner + "'s reduced piece " + piece + " of virtual stage " + bucket
          + " has " + data.length + " elements; its slice of " + n + " has " + GradientSlices.pieces(length, pieceFloats)
          + " pieces, that one of " + Math.max(0, expectedLength));
    }
    int index = g.firstPiece[owner] + piece;
    if (g.pieces[index] != null) {
      if (sameAgain(g.pieces[index], data)) {
        return null;
      }
      throw new IllegalArgumentException("replica " + owner + " sent reduced piece " + piece + " of virtual stage "
          + bucket + " (step " + h.getStep() + ") twice");
    }
    g.pieces[index] = data;
    if (++g.got < g.pieces.length) {
      return null;
    }
    state.gathering.remove(bucket);
    return new LoadBucket(h.getStep(), bucket, g.pieces);
  }

  /**
   * A frame that came before, again, bit for bit: ignored. In a rerouted step a lost group's part
   * (or reduced slice) may come from the lost worker, sent before it was lost, and again from the
   * group's host, which ran the same microbatches again, or from an intact replica that had it
   * loaded; such a copy may even arrive before this worker hears of the reroute. Other bits sent
   * twice are an error.
   */
  private static boolean sameAgain(float[] before, float[] again) {
    return java.util.Arrays.equals(before, again);
  }

  /** The reduction group whose slice an all-reduce frame is for (a lost group's hosted elsewhere included). */
  public static int sliceOf(TensorFrameHeader h) {
    return h.getHostedGroup() > 0 ? h.getHostedGroup() - 1 : h.getReplica();
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
