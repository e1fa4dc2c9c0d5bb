package io.tandem.actors.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.tandem.actors.coordinator.ProtoOps;
import io.tandem.actors.transport.HostTensor;
import io.tandem.proto.OpRef;
import io.tandem.schedule.Op;
import io.tandem.schedule.OpKind;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The all-reduce overlaps backward: a virtual stage's gradients are handed over right after its
 * last W of the program, and work it posts (the slice sums, the loads) runs in the loop's gaps
 * before the program ends, not after it. Event order only, no timing.
 */
class StepLoopAllReduceOrderTest {

  /** Records each op; stage 1 (the last) sends no activation on, stage 0's outputs go to the inbox. */
  private static final class Recording implements StageCompute {
    final List<String> events = Collections.synchronizedList(new ArrayList<>());

    @Override
    public HostTensor forward(long step, int mb, int v, int version, HostTensor input) {
      events.add("F" + mb + "@" + v);
      return v == 1 ? null : new HostTensor(new int[] {1, 1}, new float[] {mb});
    }

    @Override
    public HostTensor backwardInput(long step, int mb, int v, int version, HostTensor gradOutput) {
      events.add("B" + mb + "@" + v);
      return v == 0 ? null : new HostTensor(new int[] {1, 1}, new float[] {mb});
    }

    @Override
    public void backwardWeight(long step, int mb, int v, int version) {
      events.add("W" + mb + "@" + v);
    }

    @Override
    public int heldActivations() {
      return 0;
    }

    @Override
    public long heldActivationBytes() {
      return 0;
    }

    @Override
    public Map<Integer, Double> losses(long step) {
      return Map.of();
    }

    @Override
    public SortedMap<Integer, Double> gradientSumSquares() {
      return new TreeMap<>();
    }

    @Override
    public void applyUpdate(long step, double gradScale) {}

    @Override
    public SortedMap<Integer, byte[]> layerDigests() {
      return new TreeMap<>();
    }

    @Override
    public void close() {}
  }

  private static OpRef op(OpKind kind, int mb, int v) {
    return ProtoOps.toProto(new Op(kind, mb, v), 0);
  }

  @Test
  void aStagesReduction_startsAfterItsLastW_andItsWorkRunsBeforeTheProgramEnds() throws Exception {
    // one device holding both virtual stages of a 2-stage pipeline, two microbatches, zero-bubble style
    List<OpRef> program = List.of(op(OpKind.F, 0, 0), op(OpKind.F, 0, 1), op(OpKind.F, 1, 0), op(OpKind.F, 1, 1),
        op(OpKind.B, 0, 1), op(OpKind.B, 1, 1), op(OpKind.W, 0, 1), op(OpKind.W, 1, 1),
        op(OpKind.B, 0, 0), op(OpKind.B, 1, 0), op(OpKind.W, 0, 0), op(OpKind.W, 1, 0));
    Recording compute = new Recording();
    TensorInbox inbox = new TensorInbox();
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try {
      ComputeGaps gaps = new ComputeGaps(executor, inbox);
      StepLoop.Output local = (ref, o, out, us) -> inbox.put(3, o.kind() != OpKind.F, o.microbatch(),
          o.kind() == OpKind.F ? o.virtualStage() + 1 : o.virtualStage() - 1, out, us);
      StepLoop loop = new StepLoop(3, program, Set.of(0, 1), 2, 0, compute, inbox, new HopStatsCollector(),
          () -> 0.0, local, gaps, v -> {
            compute.events.add("reduce " + v);
            gaps.submit(() -> compute.events.add("sum " + v));
          });
      StepLoop.Outcome outcome = executor.submit(loop::run).get(30, TimeUnit.SECONDS);
      assertNotNull(outcome);
      assertEquals(List.of("F0@0", "F0@1", "F1@0", "F1@1", "B0@1", "B1@1", "W0@1", "W1@1", "reduce 1", "sum 1",
          "B0@0", "B1@0", "W0@0", "W1@0", "reduce 0", "sum 0"),
          executor.submit(() -> List.copyOf(compute.events)).get(30, TimeUnit.SECONDS));
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  void workPostedWhileTheLoopWaitsForInput_runsInThatWait() throws Exception {
    // stage 1 only: F0@1 waits for an activation that only the posted work delivers
    List<OpRef> program = List.of(op(OpKind.F, 0, 1), op(OpKind.B, 0, 1), op(OpKind.W, 0, 1));
    Recording compute = new Recording();
    TensorInbox inbox = new TensorInbox();
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try {
      ComputeGaps gaps = new ComputeGaps(executor, inbox);
      StepLoop loop = new StepLoop(0, program, Set.of(1), 2, 1, compute, inbox, new HopStatsCollector(),
          () -> 0.0, (ref, o, out, us) -> { }, gaps, v -> compute.events.add("reduce " + v));
      var run = executor.submit(loop::run);
      gaps.submit(() -> {
        compute.events.add("gap");
        inbox.put(0, false, 0, 1, new HostTensor(new int[] {1, 1}, new float[] {0}), 0);
        return null;
      }).get(30, TimeUnit.SECONDS);
      assertNotNull(run.get(30, TimeUnit.SECONDS));
      assertEquals(List.of("gap", "F0@1", "B0@1", "W0@1", "reduce 1"), List.copyOf(compute.events));
    } finally {
      executor.shutdownNow();
    }
  }
}
