package io.tandem.actors.worker;

import io.tandem.actors.transport.HostTensor;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * A stage worker's tensors that arrived before the op that needs them: activations (for an F)
 * and input gradients (for a B or BW), keyed by step, microbatch and target virtual stage. The
 * worker's actor puts them in; the device's step loop ({@link StepLoop}) waits for them.
 * Thread-safe.
 */
final class TensorInbox {
  private record Key(long step, boolean gradient, int microbatch, int stage) {}

  /** A tensor and when it reached the worker's actor (epoch microseconds). */
  record Arrival(HostTensor tensor, long arrivedUs) {}

  private final Map<Key, Arrival> tensors = new HashMap<>();

  /** Keeps {@code tensor} until {@link #await} or {@link #take} asks for it. */
  synchronized void put(long step, boolean gradient, int microbatch, int stage, HostTensor tensor, long arrivedUs) {
    tensors.put(new Key(step, gradient, microbatch, stage), new Arrival(tensor, arrivedUs));
    notifyAll();
  }

  /** Removes and returns the tensor, or null when it has not arrived yet. */
  synchronized HostTensor take(long step, boolean gradient, int microbatch, int stage) {
    Arrival a = tensors.remove(new Key(step, gradient, microbatch, stage));
    return a == null ? null : a.tensor();
  }

  /**
   * Waits until the tensor is here and removes it; null once {@code stop} says so (checked after
   * every {@link #wake}) or when the waiting thread is interrupted.
   */
  synchronized Arrival await(long step, boolean gradient, int microbatch, int stage, BooleanSupplier stop) {
    Key key = new Key(step, gradient, microbatch, stage);
    while (true) {
      Arrival a = tensors.remove(key);
      if (a != null) {
        return a;
      }
      if (stop.getAsBoolean()) {
        return null;
      }
      try {
        wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
  }

  /** Lets waiting threads look at their stop condition again. */
  synchronized void wake() {
    notifyAll();
  }

  /** Drops what arrived for steps before {@code step} (an aborted step's leftovers). */
  synchronized void dropBefore(long step) {
    tensors.keySet().removeIf(k -> k.step() < step);
  }
}
