package io.tandem.actors.worker;

import io.tandem.actors.transport.HostTensor;
import java.util.Map;
import java.util.SortedMap;

/**
 * The math one device runs for the virtual stages it holds. Every method runs on the device's
 * compute executor, never on an actor thread. Implementations: {@link SimStageCompute} (waits
 * each op's schedule cost) and the model-backed compute of the CPU and CUDA backends.
 */
public interface StageCompute extends AutoCloseable {

  /**
   * Forward of microbatch {@code mb} through virtual stage {@code v}. {@code input} is the
   * previous stage's activation, or null on the first stage (the compute reads its data for
   * {@code (step, mb)}). Returns the activation for stage {@code v+1}, or null on the last stage
   * (where the loss is computed and kept). {@code version} is the weight version the schedule
   * tags the op with (PipeDream-2BW; 0 for flush schedules).
   */
  HostTensor forward(long step, int mb, int v, int version, HostTensor input);

  /**
   * Input gradient (B) of {@code mb} on stage {@code v}. {@code gradOutput} comes from stage
   * {@code v+1}, or is null on the last stage (gradient of the loss). Returns the gradient for
   * stage {@code v-1}, or null on the first stage.
   */
  HostTensor backwardInput(long step, int mb, int v, int version, HostTensor gradOutput);

  /** Weight gradient (W) of {@code mb} on stage {@code v}: accumulates into the stage's gradients. */
  void backwardWeight(long step, int mb, int v, int version);

  /**
   * Runs one op of the program ({@code F}, {@code B}, {@code W} or {@code BW} = B then W) and
   * returns the tensor it sends on (null when none).
   */
  default HostTensor run(long step, io.tandem.schedule.Op op, int version, HostTensor input) {
    int mb = op.microbatch();
    int v = op.virtualStage();
    return switch (op.kind()) {
      case F -> forward(step, mb, v, version, input);
      case B -> backwardInput(step, mb, v, version, input);
      case W -> {
        backwardWeight(step, mb, v, version);
        yield null;
      }
      case BW -> {
        HostTensor g = backwardInput(step, mb, v, version, input);
        backwardWeight(step, mb, v, version);
        yield g;
      }
    };
  }

  /** Microbatch-stage activations currently stashed (F done, W not yet), all stages of this device. */
  int heldActivations();

  /** Bytes of activations currently stashed on this device. */
  long heldActivationBytes();

  /**
   * The most activation bytes held at any moment since the last call, moments inside ops
   * included (a recomputing stage's rebuilt stash before its B); at least {@link #heldActivationBytes}.
   */
  default long peakActivationBytesSinceLastCall() {
    return heldActivationBytes();
  }

  /** Losses of the microbatches whose last stage ran here this step, by microbatch. */
  Map<Integer, Double> losses(long step);

  /** Sum of squares of each layer's accumulated gradient, by global layer index. */
  SortedMap<Integer, Double> gradientSumSquares();

  /**
   * Data parallelism: the accumulated gradients of the step of virtual stage {@code v}'s layers,
   * flattened in parameter order ({@code GradientReduction.gradients}); empty for computes without
   * layers (sim).
   */
  default float[] stageGradients(int v) {
    return new float[0];
  }

  /**
   * Whether this compute reduces its gradients over the replicas inside the step (PipeDream-2BW,
   * which updates every few backwards), through {@link #reduceOverReplicas}, instead of once
   * after the step's program.
   */
  default boolean updatesInsideStep() {
    return false;
  }

  /** Data parallelism with {@link #updatesInsideStep}: how each update sums its gradients over the replicas. */
  default void reduceOverReplicas(java.util.function.BiFunction<Long, float[], float[]> reduce) {
    throw new UnsupportedOperationException("this compute does not update inside a step");
  }

  /**
   * Data parallelism, rerouting a lost replica's microbatches here: the gradients so far of the
   * virtual stages {@code stages} (those not all-reduced already) are reduction group {@code
   * group}'s; they are set aside and the W's that follow accumulate from zero. A compute without
   * gradients (sim) has nothing to do.
   */
  default void holdGradients(int group, java.util.Set<Integer> stages) {}

  /**
   * After {@link #holdGradients}: each stage held's gradients become the sum of its set-aside
   * groups in group order (the first, plus the second, plus the third...), as the all-reduce sums
   * the replicas' parts.
   */
  default void foldHeldGroups() {}

  /** Data parallelism, rerouting: zeroes the gradients of the virtual stages {@code stages} (their part was sent already). */
  default void dropGradients(java.util.Set<Integer> stages) {}

  /**
   * Data parallelism, rerouting through a stage whose gradients of the step are already reduced:
   * B of {@code mb} on stage {@code v} (its input gradient, for the stage before), then its stash
   * dropped, as no W follows.
   */
  default HostTensor backwardInputOnly(long step, int mb, int v, int version, HostTensor gradOutput) {
    return backwardInput(step, mb, v, version, gradOutput);
  }

  /**
   * {@link #setStageGradients(int, float[])} from the reduced gradient in {@code pieces}, which
   * concatenated in order are its layout; a compute that can copies them straight in, without
   * a whole copy first.
   */
  default void setStageGradients(int v, float[][] pieces) {
    setStageGradients(v, GradientSlices.concat(pieces));
  }

  /** Data parallelism: replaces stage {@code v}'s accumulated gradients with the all-reduced ones (as {@link #stageGradients} lays them out). */
  default void setStageGradients(int v, float[] reduced) {
    if (reduced.length != 0) {
      throw new IllegalArgumentException("this compute holds no gradients, got " + reduced.length);
    }
  }

  /** Applies the optimizer with gradients scaled by {@code gradScale}, then zeroes gradients. */
  void applyUpdate(long step, double gradScale);

  /**
   * The digest of each layer this device holds, by global layer index ({@link
   * io.tandem.actors.coordinator.WeightsDigest#layerDigest}): 32 bytes a layer, so the weights
   * hash never needs the model in one place.
   */
  SortedMap<Integer, byte[]> layerDigests();

  /**
   * Steps whose optimizer update this compute applied (the step its {@link #snapshot} holds);
   * -1 when it applied none since it was opened or restored.
   */
  default long stepsApplied() {
    return -1;
  }

  /**
   * Bytes of the held layers' weights and optimizer state: about what {@link #snapshot} copies
   * (0 for computes without layers).
   */
  default long stateBytes() {
    return 0;
  }

  /**
   * Each held layer's full state (weights and optimizer state, {@code LayerState} bytes) copied
   * to host memory, by global layer index: what a checkpoint stores. Empty for computes without
   * layers (sim).
   */
  default SortedMap<Integer, byte[]> snapshot() {
    return new java.util.TreeMap<>();
  }

  /**
   * Loads every held layer's full state from {@code stateOfLayer} (global layer index to the
   * bytes {@link #snapshot} wrote): a restore from a checkpoint, before the first step.
   */
  default void restore(java.util.function.IntFunction<byte[]> stateOfLayer) {}

  @Override
  void close();
}
