package io.tandem.model.optim;

import io.tandem.kernels.DeviceBuffer;
import io.tandem.model.Parameter;

/**
 * AdamW with bias correction and decoupled weight decay (applied only to parameters marked
 * {@link Parameter#decay()}).
 */
public record AdamW(float beta1, float beta2, float eps, float weightDecay) implements Optimizer {

  /** The usual defaults: betas 0.9 / 0.95, eps 1e-8, weight decay 0.1. */
  public static AdamW defaults() {
    return new AdamW(0.9f, 0.95f, 1e-8f, 0.1f);
  }

  @Override
  public int stateSlots() {
    return 2;
  }

  @Override
  public void update(Parameter p, long step, float lr) {
    DeviceBuffer[] s = p.optimizerState(2);
    p.backend().adamw(p.size(), p.value(), p.grad(), s[0], s[1], lr, beta1, beta2, eps,
        p.decay() ? weightDecay : 0f, Math.toIntExact(step));
  }
}
