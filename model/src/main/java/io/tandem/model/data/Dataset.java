package io.tandem.model.data;

/**
 * Training data, deterministic by (seed, step, microbatch): any worker that asks for the same
 * triple gets the same batch, so a rerun (or a run resumed after a failure) sees the same data.
 */
public interface Dataset {

  /** Short name, e.g. {@code europarl} or {@code addition}. */
  String name();

  /** The training batch for microbatch {@code microbatch} of optimizer step {@code step}. */
  TokenBatch trainBatch(long seed, long step, int microbatch, int batchSize, int seqLen);

  /** Held-out batch {@code index} (the same for every seed). */
  TokenBatch validationBatch(int index, int batchSize, int seqLen);
}
