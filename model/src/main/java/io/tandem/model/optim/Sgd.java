package io.tandem.model.optim;

import io.tandem.model.Parameter;

/** SGD with momentum and (for parameters marked {@link Parameter#decay()}) L2 weight decay. */
public record Sgd(float momentum, float weightDecay) implements Optimizer {

  @Override
  public int stateSlots() {
    return 1;
  }

  @Override
  public void update(Parameter p, long step, float lr) {
    p.backend().sgd(p.size(), p.value(), p.grad(), p.optimizerState(1)[0], lr, momentum,
        p.decay() ? weightDecay : 0f);
  }
}
