package io.tandem.model;

import io.tandem.kernels.Backend;
import io.tandem.model.data.AdditionTask;
import io.tandem.model.data.Dataset;
import io.tandem.model.data.TokenBatch;

/** Validation metrics of a whole model (forward only, nothing stashed afterwards). */
public final class Evaluation {
  /** Microbatch id used for evaluation passes (never used by training). */
  public static final int EVAL_MICROBATCH = -1;

  private Evaluation() {}

  /** Mean loss per scored token over validation batches {@code 0 .. batches-1}. */
  public static double validationLoss(Model model, Backend backend, Dataset data, int batches, int batchSize) {
    double sum = 0;
    long count = 0;
    for (int i = 0; i < batches; i++) {
      TokenBatch tb = data.validationBatch(i, batchSize, model.spec().seqLen());
      Microbatch mb = Microbatch.upload(backend, EVAL_MICROBATCH, tb, 1);
      Tensor losses = model.forward(mb, null);
      model.discard(EVAL_MICROBATCH);
      for (float v : losses.toArray()) {
        sum += v;
      }
      losses.release();
      count += tb.validTargets();
      mb.free(backend);
    }
    return sum / Math.max(1, count);
  }

  /** Fraction of validation examples of the addition task answered exactly right. */
  public static double additionAccuracy(Model model, Backend backend, AdditionTask task, int batches, int batchSize) {
    int correct = 0;
    int total = 0;
    for (int i = 0; i < batches; i++) {
      TokenBatch tb = task.validationBatch(i, batchSize, model.spec().seqLen());
      Microbatch mb = Microbatch.upload(backend, EVAL_MICROBATCH, tb, 1);
      int[] ct = task.countCorrect(tb, model.predict(mb));
      correct += ct[0];
      total += ct[1];
      mb.free(backend);
    }
    return (double) correct / Math.max(1, total);
  }
}
