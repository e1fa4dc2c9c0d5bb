package io.tandem.actors.worker;

import io.tandem.kernels.Backend;
import io.tandem.kernels.DeviceBuffer;
import io.tandem.model.Parameter;
import io.tandem.model.optim.GradientReduction;
import io.tandem.model.optim.LearningRate;
import io.tandem.model.optim.Optimizer;
import java.util.List;
import java.util.function.Supplier;

/**
 * PipeDream-2BW's double-buffered weights for one device: the newest version and the one before
 * it. Every {@code interval} backward passes the device applies its accumulated gradients to the
 * newest weights (no flush, no barrier) after keeping a copy as the previous version; a
 * microbatch whose forward ran on the previous version runs its backward on that version too.
 * A schedule asking for an older version than that is an error (2BW keeps two).
 *
 * <p>Versions in op tags count from the start of the current window (step): tag {@code t} is
 * version {@code base + t}, where {@code base} is the number of updates before the window.
 */
final class DoubleBufferedWeights {
  private final Backend backend;
  private final List<Parameter> params;
  private final int interval;
  private final Optimizer optimizer;
  private final LearningRate lr;
  private final DeviceBuffer[] previous;
  private final DeviceBuffer[] scratch;
  private long updates;
  private long windowBase;
  /** With data parallelism: sums an update group's gradients over the replicas (null without). */
  private java.util.function.BiFunction<Long, float[], float[]> replicas;
  private int backwardsInGroup;

  DoubleBufferedWeights(Backend backend, List<Parameter> params, int interval, Optimizer optimizer, LearningRate lr) {
    this.backend = backend;
    this.params = List.copyOf(params);
    this.interval = interval;
    this.optimizer = optimizer;
    this.lr = lr;
    this.previous = new DeviceBuffer[params.size()];
    this.scratch = new DeviceBuffer[params.size()];
    for (int i = 0; i < params.size(); i++) {
      previous[i] = backend.allocate(params.get(i).size());
      scratch[i] = backend.allocate(params.get(i).size());
      backend.copy(params.get(i).value(), 0, previous[i], 0, params.get(i).size());
    }
  }

  /**
   * Data parallelism: before each update, the update group's gradients are replaced by
   * {@code reduce.apply(update, gradients)}, their sum over the replicas.
   */
  void reduceOverReplicas(java.util.function.BiFunction<Long, float[], float[]> reduce) {
    this.replicas = reduce;
  }

  /** Starts a window: op tags count from the updates made so far. */
  void beginWindow() {
    if (backwardsInGroup != 0) {
      throw new IllegalStateException("2bw: a window ended in the middle of an update group ("
          + backwardsInGroup + " of " + interval + " backwards)");
    }
    windowBase = updates;
  }

  /** Runs {@code body} with the weights of tagged version {@code tag} in place. */
  <T> T with(int tag, String op, Supplier<T> body) {
    long version = windowBase + tag;
    if (version == updates) {
      return body.get();
    }
    if (version != updates - 1 || updates == 0) {
      throw new IllegalArgumentException("2bw: " + op + " needs weight version " + version
          + " but this device holds versions " + Math.max(0, updates - 1) + " and " + updates);
    }
    swapPrevious();
    try {
      return body.get();
    } finally {
      swapPrevious();
    }
  }

  /** The newest version must be {@code tag} (a forward always uses the newest weights). */
  void requireNewest(int tag, String op) {
    if (windowBase + tag != updates) {
      throw new IllegalArgumentException("2bw: " + op + " is tagged with version " + (windowBase + tag)
          + " but the newest weights on this device are version " + updates);
    }
  }

  /** Counts a finished backward; every {@code interval}-th applies the update. */
  void afterBackward() {
    if (++backwardsInGroup < interval) {
      return;
    }
    backwardsInGroup = 0;
    if (replicas != null) {
      GradientReduction.setGradients(params, replicas.apply(updates, GradientReduction.gradients(params)));
    }
    for (int i = 0; i < params.size(); i++) {
      backend.copy(params.get(i).value(), 0, previous[i], 0, params.get(i).size());
    }
    updates++;
    optimizer.step(params, updates, lr.at(updates));
    params.forEach(Parameter::zeroGrad);
  }

  private void swapPrevious() {
    for (int i = 0; i < params.size(); i++) {
      long n = params.get(i).size();
      DeviceBuffer value = params.get(i).value();
      backend.copy(value, 0, scratch[i], 0, n);
      backend.copy(previous[i], 0, value, 0, n);
      backend.copy(scratch[i], 0, previous[i], 0, n);
    }
  }

  void free() {
    for (int i = 0; i < params.size(); i++) {
      backend.free(previous[i]);
      backend.free(scratch[i]);
    }
  }
}
