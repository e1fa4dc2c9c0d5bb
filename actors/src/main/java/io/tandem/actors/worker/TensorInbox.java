package io.tandem.actors.worker;

import io.tandem.actors.transport.HostTensor;
import java.util.HashMap;
import java.util.Map;

/**
 * A stage worker's tensors that arrived before the op that needs them: activations (for an F)
 * and input gradients (for a B or BW), keyed by step, microbatch and target virtual stage. Used
 * by one actor only: not thread-safe.
 */
final class TensorInbox {
  private record Key(long step, boolean gradient, int microbatch, int stage) {}

  private final Map<Key, HostTensor> tensors = new HashMap<>();

  /** Keeps {@code tensor} until {@link #take} asks for it. */
  void put(long step, boolean gradient, int microbatch, int stage, HostTensor tensor) {
    tensors.put(new Key(step, gradient, microbatch, stage), tensor);
  }

  /** Removes and returns the tensor, or null when it has not arrived yet. */
  HostTensor take(long step, boolean gradient, int microbatch, int stage) {
    return tensors.remove(new Key(step, gradient, microbatch, stage));
  }

  /** Drops what arrived for steps before {@code step} (an aborted step's leftovers). */
  void dropBefore(long step) {
    tensors.keySet().removeIf(k -> k.step() < step);
  }
}
