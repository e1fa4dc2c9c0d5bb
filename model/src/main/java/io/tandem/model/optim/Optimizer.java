package io.tandem.model.optim;

import io.tandem.model.Parameter;
import java.util.List;

/**
 * Updates parameters from their accumulated gradients. State (momentum, moments) lives in the
 * parameters' optimizer slots, so it moves and checkpoints with its layer.
 */
public sealed interface Optimizer permits AdamW, Sgd {

  /** State slots each parameter needs. */
  int stateSlots();

  /** Updates one parameter; {@code step} is the 1-based optimizer step. */
  void update(Parameter p, long step, float lr);

  /** Updates every parameter in order. */
  default void step(List<Parameter> params, long step, float lr) {
    if (step < 1) {
      throw new IllegalArgumentException("optimizer steps are 1-based, got " + step);
    }
    for (Parameter p : params) {
      update(p, step, lr);
    }
  }
}
