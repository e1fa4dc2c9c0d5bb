package io.tandem.actors.worker;

import io.tandem.actors.coordinator.ProtoOps;
import io.tandem.actors.transport.HopClock;
import io.tandem.actors.transport.HostTensor;
import io.tandem.proto.OpRef;
import io.tandem.proto.OpTiming;
import io.tandem.schedule.Op;
import io.tandem.schedule.OpKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.DoubleSupplier;

/**
 * One step of one device: runs the op program in order on the device's compute thread, waiting
 * there for each op's input tensor and sending each output from there, so a hop costs no trip
 * through the worker's actor (which only delivers arriving tensors and handles control).
 * {@link #stop} ends the wait of an aborted step.
 */
final class StepLoop {

  /** Sends an op's output tensor on its way (called on the compute thread). */
  interface Output {
    void send(OpRef ref, Op op, HostTensor output, long computedUs);
  }

  /**
   * Data parallelism: a virtual stage's gradients of the step are complete (its last W or BW of
   * the program ran; called on the compute thread right after it, or after the program for a stage
   * with no W in it).
   */
  interface StageGradientsDone {
    void done(int virtualStage);
  }

  /** What the step measured: op timings and the peak of held activations. */
  record Outcome(List<OpTiming> timings, int peakHeld, long peakHeldBytes) {
    /** This loop's outcome followed by {@code next}'s (a rerouted step's further loop): timings of both, the larger peaks. */
    Outcome then(Outcome next) {
      List<OpTiming> all = new ArrayList<>(timings);
      all.addAll(next.timings());
      return new Outcome(all, Math.max(peakHeld, next.peakHeld()), Math.max(peakHeldBytes, next.peakHeldBytes()));
    }
  }

  /** An op of the program failed; names it. */
  static final class OpFailed extends RuntimeException {
    private final transient OpRef op;

    OpFailed(OpRef op, String message, Throwable cause) {
      super(message, cause);
      this.op = op;
    }

    OpRef op() {
      return op;
    }
  }

  private final long step;
  private final List<OpRef> program;
  private final Set<Integer> myStages;
  private final int stages;
  private final int device;
  private final StageCompute compute;
  private final TensorInbox inbox;
  private final HopStatsCollector hops;
  private final DoubleSupplier clockMs;
  private final Output output;
  private final ComputeGaps gaps;
  private final StageGradientsDone gradientsDone;
  /** Program index of each held virtual stage's last W (or BW). */
  private final java.util.Map<Integer, Integer> lastW = new java.util.HashMap<>();
  /**
   * The virtual stages it only passes tensors through (a rerouted step through stages whose
   * gradients are all-reduced already): no W, B drops its stash. Read as the loop runs, so the
   * caller may fill it on the compute thread just before {@link #run}.
   */
  private final Set<Integer> passThrough;
  private volatile boolean stopped;

  StepLoop(long step, List<OpRef> program, Set<Integer> myStages, int stages, int device, StageCompute compute,
      TensorInbox inbox, HopStatsCollector hops, DoubleSupplier clockMs, Output output) {
    this(step, program, myStages, stages, device, compute, inbox, hops, clockMs, output, null, null, Set.of());
  }

  /**
   * A rerouted step's loop; {@code passThrough}: the virtual stages whose gradients of the step
   * are all-reduced already (see {@link #passThrough}).
   */
  StepLoop(long step, List<OpRef> program, Set<Integer> myStages, int stages, int device, StageCompute compute,
      TensorInbox inbox, HopStatsCollector hops, DoubleSupplier clockMs, Output output, Set<Integer> passThrough) {
    this(step, program, myStages, stages, device, compute, inbox, hops, clockMs, output, null, null, passThrough);
  }

  /**
   * @param gaps side work run between ops and while waiting for input (null: none)
   * @param gradientsDone told as each held stage's gradients complete (null: not told)
   */
  StepLoop(long step, List<OpRef> program, Set<Integer> myStages, int stages, int device, StageCompute compute,
      TensorInbox inbox, HopStatsCollector hops, DoubleSupplier clockMs, Output output, ComputeGaps gaps,
      StageGradientsDone gradientsDone) {
    this(step, program, myStages, stages, device, compute, inbox, hops, clockMs, output, gaps, gradientsDone, Set.of());
  }

  private StepLoop(long step, List<OpRef> program, Set<Integer> myStages, int stages, int device,
      StageCompute compute, TensorInbox inbox, HopStatsCollector hops, DoubleSupplier clockMs, Output output,
      ComputeGaps gaps, StageGradientsDone gradientsDone, Set<Integer> passThrough) {
    this.step = step;
    this.passThrough = passThrough;
    this.program = program;
    this.myStages = myStages;
    this.stages = stages;
    this.device = device;
    this.compute = compute;
    this.inbox = inbox;
    this.hops = hops;
    this.clockMs = clockMs;
    this.output = output;
    this.gaps = gaps;
    this.gradientsDone = gradientsDone;
    if (gaps != null) {
      gaps.loopStarted(); // ended by run(), which the caller must call
    }
    for (int i = 0; i < program.size(); i++) {
      OpRef ref = program.get(i);
      if (ref.getKind() == io.tandem.proto.OpKind.W || ref.getKind() == io.tandem.proto.OpKind.BW) {
        lastW.put(ref.getVirtualStage(), i);
      }
    }
  }

  /** Ends the step: the op running finishes, no further op starts, a wait for input ends. */
  void stop() {
    stopped = true;
    inbox.wake();
  }

  /** Runs every op of the program; null when stopped first. */
  Outcome run() {
    if (gaps == null) {
      return runOps();
    }
    try {
      return runOps();
    } finally {
      gaps.loopEnded();
    }
  }

  private Outcome runOps() {
    List<OpTiming> timings = new ArrayList<>(program.size());
    int peakHeld = compute.heldActivations();
    long peakHeldBytes = compute.peakActivationBytesSinceLastCall();
    for (int i = 0; i < program.size(); i++) {
      OpRef ref = program.get(i);
      if (gaps != null) {
        gaps.runPending();
      }
      if (stopped) {
        return null;
      }
      Op op = resolve(ref);
      boolean passing = passThrough.contains(op.virtualStage());
      if (passing && op.kind() == OpKind.W) {
        continue; // the stage's gradients of the step are reduced already
      }
      HostTensor input = null;
      int v = op.virtualStage();
      boolean needsActivation = op.kind() == OpKind.F && v > 0;
      boolean needsGradient = (op.kind() == OpKind.B || op.kind() == OpKind.BW) && v < stages - 1;
      if (needsActivation || needsGradient) {
        long waitFrom = HopClock.nowMicros();
        TensorInbox.Arrival arrival = awaitInput(needsGradient, op.microbatch(), v);
        if (arrival == null) {
          return null;
        }
        if (arrival.arrivedUs() >= waitFrom) {
          hops.handedOff(arrival.arrivedUs(), HopClock.nowMicros());
        }
        input = arrival.tensor();
      }
      double startMs = clockMs.getAsDouble();
      HostTensor out;
      try {
        out = passing && (op.kind() == OpKind.B || op.kind() == OpKind.BW)
            ? compute.backwardInputOnly(step, op.microbatch(), v, ref.getWeightVersion(), input)
            : compute.run(step, op, ref.getWeightVersion(), input);
      } catch (RuntimeException | Error e) {
        throw new OpFailed(ref, e.getMessage() == null ? e.toString() : e.getMessage(), e);
      }
      long computedUs = HopClock.nowMicros();
      double endMs = clockMs.getAsDouble();
      if (out != null) {
        output.send(ref, op, out, computedUs);
      }
      if (gradientsDone != null && lastW.get(v) != null && lastW.get(v) == i) {
        gradientsDone(ref, v);
      }
      timings.add(OpTiming.newBuilder().setOp(ref).setStartMs(startMs).setEndMs(endMs).build());
      peakHeld = Math.max(peakHeld, compute.heldActivations());
      peakHeldBytes = Math.max(peakHeldBytes, compute.peakActivationBytesSinceLastCall());
    }
    if (gradientsDone != null) {
      for (int v : new java.util.TreeSet<>(myStages)) {
        if (!lastW.containsKey(v)) {
          gradientsDone(null, v);
        }
      }
    }
    return new Outcome(timings, peakHeld, peakHeldBytes);
  }

  private void gradientsDone(OpRef ref, int v) {
    try {
      gradientsDone.done(v);
    } catch (RuntimeException | Error e) {
      String what = "starting the all-reduce of virtual stage " + v + "'s gradients failed: "
          + (e.getMessage() == null ? e.toString() : e.getMessage());
      throw new OpFailed(ref, what, e);
    }
  }

  /** Waits for an op's input; runs side work that comes meanwhile. Null when stopped. */
  private TensorInbox.Arrival awaitInput(boolean gradient, int microbatch, int v) {
    while (true) {
      TensorInbox.Arrival arrival = inbox.await(step, gradient, microbatch, v,
          () -> stopped || (gaps != null && gaps.pending()));
      if (arrival != null || stopped || Thread.currentThread().isInterrupted()) {
        return arrival;
      }
      gaps.runPending();
    }
  }

  private Op resolve(OpRef ref) {
    Op op;
    try {
      op = ProtoOps.fromProto(ref);
    } catch (IllegalArgumentException e) {
      throw new OpFailed(ref, e.getMessage(), e);
    }
    if (!myStages.contains(op.virtualStage())) {
      throw new OpFailed(ref, "op " + op + " is for virtual stage " + op.virtualStage() + ", not held by device "
          + device + " (holds " + myStages + ")", null);
    }
    return op;
  }
}
