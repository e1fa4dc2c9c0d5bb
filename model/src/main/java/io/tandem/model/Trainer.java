package io.tandem.model;

import io.tandem.kernels.Backend;
import io.tandem.model.data.Dataset;
import io.tandem.model.data.TokenBatch;
import io.tandem.model.optim.GradientClipping;
import io.tandem.model.optim.LearningRate;
import io.tandem.model.optim.Optimizer;

/**
 * Single-process training of a whole model: the reference the pipeline runtime must match.
 * One step = forward and backward of every microbatch (gradients accumulate), clipping by
 * global norm, one optimizer update, zeroed gradients.
 */
public final class Trainer {
  private final Backend backend;
  private final Model model;
  private final Optimizer optimizer;
  private final LearningRate lr;
  private final double maxGradNorm;

  /** Result of one step: mean loss, global gradient norm before clipping, learning rate. */
  public record StepResult(long step, double loss, double gradNorm, float lr) {}

  public Trainer(Backend backend, Model model, Optimizer optimizer, LearningRate lr, double maxGradNorm) {
    this.backend = backend;
    this.model = model;
    this.optimizer = optimizer;
    this.lr = lr;
    this.maxGradNorm = maxGradNorm;
  }

  /** Runs optimizer step {@code step} (1-based) on {@code microbatches} batches of the dataset. */
  public StepResult step(Dataset data, long seed, long step, int microbatches, int batchSize) {
    double loss = 0;
    for (int m = 0; m < microbatches; m++) {
      TokenBatch tb = data.trainBatch(seed, step, m, batchSize, model.spec().seqLen());
      Microbatch mb = Microbatch.upload(backend, m, tb, microbatches);
      Tensor losses = model.forward(mb, null);
      loss += Model.loss(losses, mb);
      losses.release();
      Tensor dx = model.backward(mb, null);
      if (dx != null) {
        dx.release();
      }
      mb.free(backend);
    }
    double norm = GradientClipping.globalNorm(model.gradSumOfSquaresPerLayer());
    GradientClipping.apply(model.parameters(), GradientClipping.scale(norm, maxGradNorm));
    float rate = lr.at(step);
    optimizer.step(model.parameters(), step, rate);
    model.zeroGrad();
    return new StepResult(step, loss, norm, rate);
  }
}
