package io.tandem.model.optim;

/**
 * Learning-rate schedule: linear warm-up to {@code peak} over {@code warmupSteps}, then cosine
 * decay to {@code peak * minRatio} at {@code totalSteps} (constant afterwards).
 */
public record LearningRate(float peak, int warmupSteps, int totalSteps, float minRatio) {

  /** A constant rate. */
  public static LearningRate constant(float lr) {
    return new LearningRate(lr, 0, 0, 1f);
  }

  /** The rate at 1-based {@code step}. */
  public float at(long step) {
    if (step <= warmupSteps) {
      return peak * step / Math.max(1, warmupSteps);
    }
    if (totalSteps <= warmupSteps || step >= totalSteps) {
      return totalSteps <= warmupSteps ? peak : peak * minRatio;
    }
    double progress = (double) (step - warmupSteps) / (totalSteps - warmupSteps);
    double cos = 0.5 * (1 + Math.cos(Math.PI * progress));
    return (float) (peak * (minRatio + (1 - minRatio) * cos));
  }
}
