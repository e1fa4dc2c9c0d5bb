package io.tandem.model;

import io.tandem.kernels.Backend;
import io.tandem.model.data.Dataset;
import io.tandem.model.data.TokenBatch;
import io.tandem.model.optim.GradientClipping;
import io.tandem.model.optim.GradientReduction;
import io.tandem.model.optim.LearningRate;
import io.tandem.model.optim.Optimizer;

/**
 * Single-process training of a whole model: the reference the pipeline runtime must match.
 * One step = forward and backward of every microbatch (gradients accumulate), clipping by
 * global norm, one optimizer update, zeroed gradients.
 *
 * <p>With {@code dataParallel = D} the step's m microbatches are grouped as D data-parallel
 * replicas would run them: replica r takes the contiguous microbatches {@code [r*m/D, (r+1)*m/D)}
 * and sums their gradients sequentially from zero; the step's gradient is the sum over replicas,
 * in replica order, of those sums ({@code ((g0 + g1) + g2) + ...}, float addition element by
 * element). That is the reduction the runtime's gradient all-reduce defines, so a D-replica run
 * matches this trainer bit for bit. D = 1 is the plain sequential sum.
 */
public final class Trainer {
  private final Backend backend;
  private final Model model;
  private final Optimizer optimizer;
  private final LearningRate lr;
  private final double maxGradNorm;
  private final int dataParallel;

  /** Result of one step: mean loss, global gradient norm before clipping, learning rate. */
  public record StepResult(long step, double loss, double gradNorm, float lr) {}

  public Trainer(Backend backend, Model model, Optimizer optimizer, LearningRate lr, double maxGradNorm) {
    this(backend, model, optimizer, lr, maxGradNorm, 1);
  }

  /**
   * A trainer grouping each step's microbatches into {@code dataParallel} replicas (see the class
   * comment); the step's microbatch count must be a multiple of it.
   */
  public Trainer(Backend backend, Model model, Optimizer optimizer, LearningRate lr, double maxGradNorm,
      int dataParallel) {
    if (dataParallel < 1) {
      throw new IllegalArgumentException("dataParallel must be >= 1, got " + dataParallel);
    }
    this.dataParallel = dataParallel;
    this.backend = backend;
    this.model = model;
    this.optimizer = optimizer;
    this.lr = lr;
    this.maxGradNorm = maxGradNorm;
  }

  /** Runs optimizer step {@code step} (1-based) on {@code microbatches} batches of the dataset. */
  public StepResult step(Dataset data, long seed, long step, int microbatches, int batchSize) {
    if (microbatches % dataParallel != 0) {
      throw new IllegalArgumentException("microbatches (" + microbatches + ") must be a multiple of dataParallel ("
          + dataParallel + ")");
    }
    int perReplica = microbatches / dataParallel;
    double loss = 0;
    float[] reduced = null;
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
      if (dataParallel > 1 && (m + 1) % perReplica == 0) {
        reduced = GradientReduction.addReplica(model.parameters(), reduced);
      }
    }
    if (reduced != null) {
      GradientReduction.setGradients(model.parameters(), reduced);
    }
    double norm = GradientClipping.globalNorm(model.gradSumOfSquaresPerLayer());
    GradientClipping.apply(model.parameters(), GradientClipping.scale(norm, maxGradNorm));
    float rate = lr.at(step);
    optimizer.step(model.parameters(), step, rate);
    model.zeroGrad();
    return new StepResult(step, loss, norm, rate);
  }
}
