package io.tandem.model;

import io.tandem.kernels.Backend;
import io.tandem.kernels.DeviceIntBuffer;
import io.tandem.model.data.TokenBatch;

/**
 * One microbatch as the layers see it: its id (stashes are keyed by it, so several microbatches
 * can be in flight), its shape, the token ids and targets on the device, and the scale of its
 * loss gradient.
 *
 * <p>The buffers must stay live until the first layer's W pass (the embedding reads the ids) and
 * the last layer's F pass (the loss reads the targets); {@link #free} releases them.
 *
 * @param id microbatch id, unique among those in flight on a layer
 * @param batchSize sequences in this microbatch
 * @param seqLen tokens per sequence
 * @param inputs token ids, {@code batchSize * seqLen}
 * @param targets next-token targets, {@code -1} where ignored
 * @param lossScale factor of the loss gradient, {@code 1 / (valid targets * microbatches per step)}
 */
public record Microbatch(int id, int batchSize, int seqLen, DeviceIntBuffer inputs,
    DeviceIntBuffer targets, float lossScale) {

  /** Uploads a host batch; the loss is averaged over its valid targets and {@code microbatches}. */
  public static Microbatch upload(Backend backend, int id, TokenBatch batch, int microbatches) {
    int n = batch.batchSize() * batch.seqLen();
    DeviceIntBuffer in = backend.allocateInts(n);
    DeviceIntBuffer tg = backend.allocateInts(n);
    backend.uploadInts(batch.inputs(), 0, in, 0, n);
    backend.uploadInts(batch.targets(), 0, tg, 0, n);
    int valid = batch.validTargets();
    float scale = valid == 0 ? 0f : 1f / ((float) valid * microbatches);
    return new Microbatch(id, batch.batchSize(), batch.seqLen(), in, tg, scale);
  }

  /** Rows of the activations: {@code batchSize * seqLen}. */
  public int rows() {
    return batchSize * seqLen;
  }

  /** Returns the buffers to the backend. */
  public void free(Backend backend) {
    backend.free(inputs);
    backend.free(targets);
  }
}
