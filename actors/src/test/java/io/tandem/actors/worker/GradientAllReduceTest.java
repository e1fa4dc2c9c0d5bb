package io.tandem.actors.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.actors.transport.TensorTransport;
import io.tandem.model.optim.GradientReduction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The reduce-scatter + all-gather gives every replica, bit for bit, {@link GradientReduction}'s
 * sum in replica order: D = 3 with buckets whose sizes D does not divide, and buckets of 0 and 1
 * elements (slices left empty), slices in one piece and in many; values chosen so that any other
 * order of the sum differs.
 */
class GradientAllReduceTest {
  static final int D = 3;
  /** Bucket (virtual stage) sizes: one empty, one of one element, others not divisible by 3. */
  static final int[] SIZES = {0, 1, 7, 5, 2, 3001};
  static ActorTestKit kit;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create("gradient-all-reduce-test");
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  /** Replica r's gradients of bucket b: magnitudes far apart, so the order of the sum shows in its bits. */
  static float[] gradients(int r, int b) {
    SplittableRandom random = new SplittableRandom(31L * b + r);
    float[] g = new float[SIZES[b]];
    for (int i = 0; i < g.length; i++) {
      g[i] = (float) ((random.nextDouble() - 0.5) * (r == 1 ? 1 : 1e7));
    }
    return g;
  }

  static float[] reference(int b) {
    float[] sum = gradients(0, b);
    for (int r = 1; r < D; r++) {
      GradientReduction.add(sum, gradients(r, b));
    }
    return sum;
  }

  @Test
  void slices_coverTheBucketInOrder_withSizesApartByAtMostOne() {
    for (int n : new int[] {0, 1, 2, 3, 7, 3001}) {
      int at = 0;
      for (int r = 0; r < D; r++) {
        int size = GradientSlices.start(n, D, r + 1) - GradientSlices.start(n, D, r);
        assertEquals(at, GradientSlices.start(n, D, r));
        assertTrue(size == n / D || size == n / D + 1, n + " elements, slice " + r + ": " + size);
        at += size;
      }
      assertEquals(n, at);
    }
  }

  /** A frame for replica {@code to}. */
  private record Delivery(int to, StageWorker.TensorArrived frame) {}

  @ParameterizedTest(name = "pieces of {0} floats")
  @ValueSource(ints = {GradientSlices.PIECE_FLOATS, 4, 1})
  void threeReplicas_reduceToGradientReductionsOrder_bitForBit(int pieceFloats) throws Exception {
    LinkedBlockingQueue<Delivery> queue = new LinkedBlockingQueue<>();
    List<ActorRef<StageWorker.Command>> refs = new ArrayList<>();
    for (int r = 0; r < D; r++) { // a replica's own frames come by tell, as to its worker
      int to = r;
      refs.add(kit.spawn(Behaviors.receive(StageWorker.Command.class)
          .onMessage(StageWorker.TensorArrived.class, m -> {
            queue.add(new Delivery(to, m));
            return Behaviors.same();
          }).build()));
    }
    long[] wireFloats = new long[1];
    TensorTransport transport = (owner, frame) -> { // the others' by the transport
      wireFloats[0] += frame.tensor().data().length;
      queue.add(new Delivery(refs.indexOf(owner), frame));
      return CompletableFuture.completedFuture(null);
    };
    Set<Integer> buckets = new java.util.TreeSet<>();
    for (int b = 0; b < SIZES.length; b++) {
      buckets.add(b);
    }
    List<GradientAllReduce> replicas = new ArrayList<>();
    for (int r = 0; r < D; r++) {
      replicas.add(new GradientAllReduce("job", r, refs, buckets, transport, pieceFloats));
      replicas.get(r).begin(4);
    }
    float[][][] loaded = new float[D][SIZES.length][];
    for (int b = SIZES.length - 1; b >= 0; b--) { // buckets complete last stage first, as in backward
      for (int r = 0; r < D; r++) {
        replicas.get(r).scatter(4, b, gradients(r, b));
      }
    }
    int pending = D * SIZES.length;
    while (pending > 0) {
      Delivery d = queue.poll(30, TimeUnit.SECONDS);
      assertNotNull(d, "all-reduce stalled with " + pending + " buckets not loaded");
      GradientAllReduce.Ready ready = replicas.get(d.to()).arrived(d.frame().header(), d.frame().tensor());
      if (ready instanceof GradientAllReduce.SumSlice sum) {
        replicas.get(d.to()).gather(4, sum.bucket(), sum.piece(), GradientSlices.sum(sum.parts()));
      } else if (ready instanceof GradientAllReduce.LoadBucket load) {
        assertNull(loaded[d.to()][load.bucket()]);
        loaded[d.to()][load.bucket()] = load.reduced();
        replicas.get(d.to()).loaded(4, load.bucket());
        pending--;
      }
    }
    long total = 0;
    for (int n : SIZES) {
      total += n;
    }
    assertEquals(2L * (D - 1) * total, wireFloats[0], "each replica sends 2(D-1)/D of every bucket, no more");
    for (int r = 0; r < D; r++) {
      assertTrue(replicas.get(r).complete(4));
      for (int b = 0; b < SIZES.length; b++) {
        assertArrayEquals(bits(reference(b)), bits(loaded[r][b]), "replica " + r + ", bucket of " + SIZES[b]);
      }
    }
    // the values make the order matter: summing in another order gives other bits
    float[] reversed = gradients(2, 5);
    GradientReduction.add(reversed, gradients(1, 5));
    GradientReduction.add(reversed, gradients(0, 5));
    assertFalse(Arrays.equals(bits(reference(5)), bits(reversed)));
  }

  /** The all-reduce's pieces go by the transport's paced send, which waits for room, never by the plain one. */
  @Test
  void piecesGoByThePacedSend() {
    TestProbe<StageWorker.Command> p0 = kit.createTestProbe();
    TestProbe<StageWorker.Command> p1 = kit.createTestProbe();
    List<StageWorker.TensorArrived> paced = new ArrayList<>();
    TensorTransport transport = new TensorTransport() {
      @Override
      public java.util.concurrent.CompletionStage<Void> send(
          org.apache.pekko.actor.typed.ActorRef<StageWorker.Command> owner, StageWorker.TensorArrived frame) {
        return CompletableFuture.failedFuture(new IllegalStateException("queue is full"));
      }

      @Override
      public java.util.concurrent.CompletionStage<Void> sendPaced(
          org.apache.pekko.actor.typed.ActorRef<StageWorker.Command> owner, StageWorker.TensorArrived frame) {
        paced.add(frame);
        return CompletableFuture.completedFuture(null);
      }
    };
    GradientAllReduce r0 = new GradientAllReduce("job", 0, List.of(p0.getRef(), p1.getRef()), Set.of(0), transport, 2);
    assertTrue(r0.scatter(0, 0, new float[] {1, 2, 3, 4, 5, 6, 7, 8}).toCompletableFuture().isDone());
    assertFalse(r0.scatter(1, 0, new float[] {1, 2, 3, 4, 5, 6, 7, 8}).toCompletableFuture()
        .isCompletedExceptionally());
    assertEquals(4, paced.size(), "two pieces of 2 floats of replica 1's slice, each step; its own go by tell");
  }

  @Test
  void failedSends_nameEveryGroupWhoseFramesDidNotGo_soARerouteCanTellObsoleteOnesApart() {
    List<ActorRef<StageWorker.Command>> refs = new ArrayList<>();
    for (int r = 0; r < 4; r++) {
      refs.add(kit.<StageWorker.Command>createTestProbe().getRef());
    }
    Set<ActorRef<StageWorker.Command>> gone = Set.of(refs.get(1), refs.get(3));
    TensorTransport transport = (owner, frame) -> gone.contains(owner)
        ? CompletableFuture.failedFuture(new java.io.IOException("Broken pipe")) : CompletableFuture.completedFuture(null);
    GradientAllReduce r0 = new GradientAllReduce("job", 0, refs, Set.of(0), transport, 2);
    CompletableFuture<Void> sent = r0.scatter(0, 0, new float[16]).toCompletableFuture();
    Throwable e = assertThrows(java.util.concurrent.CompletionException.class, sent::join);
    GradientAllReduce.SliceSendFailed unsent = GradientAllReduce.SliceSendFailed.in(e);
    assertNotNull(unsent, e.toString());
    assertEquals(Set.of(1, 3), unsent.groups());
    assertEquals("Broken pipe", unsent.getMessage());

    StageWorker.Reroute lostOneAndThree = new StageWorker.Reroute(0, List.of(0, 0), List.of(1, 3), List.of(0, 0, 2, 2));
    assertTrue(lostOneAndThree.lostAll(unsent.groups()), "frames for lost groups only: obsolete after the reroute");
    assertFalse(lostOneAndThree.lostAll(Set.of(1, 2)), "group 2 is intact: its frames are needed");
    assertFalse(new StageWorker.Reroute(0, List.of(0), List.of(1), List.of()).lostAll(Set.of(1)),
        "alone: no all-reduce to keep going");
  }

  @Test
  void aSecondPartWithOtherBitsFromOneReplica_orAFrameForAnotherReplica_isRefused() {
    TestProbe<StageWorker.Command> p0 = kit.createTestProbe();
    TestProbe<StageWorker.Command> p1 = kit.createTestProbe();
    List<StageWorker.TensorArrived> sent = new ArrayList<>();
    TensorTransport transport = (owner, frame) -> {
      sent.add(frame);
      return CompletableFuture.completedFuture(null);
    };
    GradientAllReduce r0 = new GradientAllReduce("job", 0, List.of(p0.getRef(), p1.getRef()), Set.of(0), transport);
    GradientAllReduce r1 = new GradientAllReduce("job", 1, List.of(p0.getRef(), p1.getRef()), Set.of(0), transport);
    r1.scatter(0, 0, new float[] {1, 2, 3});
    StageWorker.TensorArrived toR0 = sent.get(0);
    assertNull(r0.arrived(toR0.header(), toR0.tensor()));
    StageWorker.TensorArrived changed = new StageWorker.TensorArrived(toR0.header(),
        new io.tandem.actors.transport.HostTensor(toR0.tensor().shape(), new float[toR0.tensor().data().length]));
    IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
        () -> r0.arrived(changed.header(), changed.tensor()));
    assertTrue(twice.getMessage().contains("twice"), twice.getMessage());
    StageWorker.TensorArrived own = (StageWorker.TensorArrived) p1.receiveMessage();
    assertThrows(IllegalArgumentException.class, () -> r0.arrived(own.header(), own.tensor()));
    assertEquals(2, own.tensor().data().length, "replica 1 owns elements [1, 3)");
  }

  /**
   * In a rerouted step a lost group's part can come twice: from the lost worker before it was
   * lost and from the group's host, which ran the same microbatches again (possibly before this
   * worker hears of the reroute). The same bits again are ignored; other bits are refused.
   */
  @Test
  void aPartSentAgainBitForBit_isIgnored_otherBitsAreRefused() {
    TestProbe<StageWorker.Command> p0 = kit.createTestProbe();
    TestProbe<StageWorker.Command> p1 = kit.createTestProbe();
    TestProbe<StageWorker.Command> p2 = kit.createTestProbe();
    List<StageWorker.TensorArrived> sent = new ArrayList<>();
    TensorTransport transport = (owner, frame) -> {
      sent.add(frame);
      return CompletableFuture.completedFuture(null);
    };
    List<org.apache.pekko.actor.typed.ActorRef<StageWorker.Command>> refs = List.of(p0.getRef(), p1.getRef(),
        p2.getRef());
    GradientAllReduce r0 = new GradientAllReduce("job", 0, refs, Set.of(0), transport);
    GradientAllReduce lost = new GradientAllReduce("job", 1, refs, Set.of(0), transport);
    lost.scatter(0, 0, new float[] {1, 2, 3, 4, 5, 6});
    StageWorker.TensorArrived fromLost = sent.stream().filter(f -> f.header().getReplica() == 0).findFirst()
        .orElseThrow();
    assertNull(r0.arrived(fromLost.header(), fromLost.tensor()));
    assertNull(r0.arrived(fromLost.header(), fromLost.tensor()), "the same bits again, before the reroute: ignored");
    r0.rerouted(List.of(0, 0, 2)); // group 1 lost, hosted by replica 0
    assertNull(r0.arrived(fromLost.header(), fromLost.tensor()), "the same bits again: ignored");
    StageWorker.TensorArrived other = new StageWorker.TensorArrived(fromLost.header(),
        new io.tandem.actors.transport.HostTensor(new int[] {1, 2}, new float[] {1, 2.5f}));
    IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
        () -> r0.arrived(other.header(), other.tensor()));
    assertTrue(twice.getMessage().contains("twice"), twice.getMessage());
  }

  private static int[] bits(float[] v) {
    int[] out = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = Float.floatToRawIntBits(v[i]);
    }
    return out;
  }

}
