package io.tandem.actors.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.actors.transport.TensorTransport;
import io.tandem.model.optim.GradientReduction;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The reduce-scatter + all-gather gives every replica, bit for bit, {@link GradientReduction}'s
 * sum in replica order: D = 3 with buckets whose sizes D does not divide, and buckets of 0 and 1
 * elements (slices left empty); values chosen so that any other order of the sum differs.
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

  @Test
  void threeReplicas_reduceToGradientReductionsOrder_bitForBit() {
    List<TestProbe<StageWorker.Command>> probes = new ArrayList<>();
    for (int r = 0; r < D; r++) {
      probes.add(kit.createTestProbe());
    }
    List<ActorRef<StageWorker.Command>> refs = probes.stream().map(TestProbe::getRef).toList();
    ArrayDeque<StageWorker.TensorArrived> wire = new ArrayDeque<>(); // frames between replicas
    List<ActorRef<StageWorker.Command>> wireTo = new ArrayList<>();
    TensorTransport transport = (owner, frame) -> {
      synchronized (wire) {
        wire.add(frame);
        wireTo.add(owner);
      }
      return CompletableFuture.completedFuture(null);
    };
    Set<Integer> buckets = new java.util.TreeSet<>();
    for (int b = 0; b < SIZES.length; b++) {
      buckets.add(b);
    }
    List<GradientAllReduce> replicas = new ArrayList<>();
    for (int r = 0; r < D; r++) {
      replicas.add(new GradientAllReduce("job", r, refs, buckets, transport));
      replicas.get(r).begin(4);
    }
    float[][][] loaded = new float[D][SIZES.length][];
    for (int b = SIZES.length - 1; b >= 0; b--) { // buckets complete last stage first, as in backward
      for (int r = 0; r < D; r++) {
        replicas.get(r).scatter(4, b, gradients(r, b));
      }
      // deliver: own slices came by tell, the others by the transport; the owner sums when its D parts are in
      for (int round = 0; round < 2; round++) {
        List<StageWorker.TensorArrived> frames = new ArrayList<>();
        List<Integer> to = new ArrayList<>();
        for (int r = 0; r < D; r++) {
          StageWorker.TensorArrived own = assertInstanceOf(StageWorker.TensorArrived.class,
              probes.get(r).receiveMessage());
          frames.add(own);
          to.add(r);
        }
        assertEquals((D - 1) * D, wire.size(), "each replica sends D-1 frames per phase");
        while (!wire.isEmpty()) {
          frames.add(wire.poll());
          to.add(refs.indexOf(wireTo.remove(0)));
        }
        for (int i = 0; i < frames.size(); i++) {
          int r = to.get(i);
          GradientAllReduce.Ready ready = replicas.get(r).arrived(frames.get(i).header(), frames.get(i).tensor());
          if (ready instanceof GradientAllReduce.SumSlice sum) {
            assertEquals(0, round);
            replicas.get(r).gather(4, b, GradientSlices.sum(sum.parts()));
          } else if (ready instanceof GradientAllReduce.LoadBucket load) {
            assertEquals(1, round);
            loaded[r][b] = load.reduced();
            replicas.get(r).loaded(4, b);
          }
        }
      }
    }
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

  @Test
  void aSecondPartFromOneReplica_orAFrameForAnotherReplica_isRefused() {
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
    IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
        () -> r0.arrived(toR0.header(), toR0.tensor()));
    assertTrue(twice.getMessage().contains("twice"), twice.getMessage());
    StageWorker.TensorArrived own = (StageWorker.TensorArrived) p1.receiveMessage();
    assertThrows(IllegalArgumentException.class, () -> r0.arrived(own.header(), own.tensor()));
    assertEquals(2, own.tensor().data().length, "replica 1 owns elements [1, 3)");
  }

  private static int[] bits(float[] v) {
    int[] out = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = Float.floatToRawIntBits(v[i]);
    }
    return out;
  }

}
