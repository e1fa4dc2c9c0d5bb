package io.tandem.model;

import io.tandem.kernels.Backend;

/**
 * A per-position MLP language model (no attention): {@code embed}, then {@code fc_i}
 * ({@link Linear}) and {@code gelu_i} for each hidden layer, then {@code head}
 * ({@link LmHeadLoss}); {@code 2 * hidden + 2} layers.
 *
 * @param name preset or descriptive name
 * @param hidden hidden Linear+GELU pairs
 * @param width hidden width
 * @param seqLen tokens per sequence
 * @param vocab vocabulary size
 */
public record MlpSpec(String name, int hidden, int width, int seqLen, int vocab) implements ModelSpec {

  public MlpSpec {
    if (hidden < 0 || width <= 0 || seqLen <= 0 || vocab <= 0) {
      throw new IllegalArgumentException("bad mlp shape: hidden=" + hidden + " width=" + width
          + " seqLen=" + seqLen + " vocab=" + vocab);
    }
  }

  @Override
  public int numLayers() {
    return 2 * hidden + 2;
  }

  @Override
  public String layerName(int index) {
    if (index < 0 || index >= numLayers()) {
      throw new IllegalArgumentException("layer " + index + " not in 0.." + (numLayers() - 1));
    }
    if (index == 0) {
      return "embed";
    } else if (index == numLayers() - 1) {
      return "head";
    }
    return ((index - 1) % 2 == 0 ? "fc" : "gelu") + (index - 1) / 2;
  }

  @Override
  public Layer createLayer(Backend backend, long seed, int index) {
    String name = layerName(index);
    SplitMix64 rng = ModelSpec.initStream(seed, index);
    if (index == 0) {
      return new Embedding(backend, name, vocab, width, seqLen, 0.1, rng);
    } else if (index == numLayers() - 1) {
      return new LmHeadLoss(backend, name, width, vocab, 1.0 / Math.sqrt(width), rng);
    } else if ((index - 1) % 2 == 0) {
      return new Linear(backend, name, width, width, true, 1.0 / Math.sqrt(width), rng);
    }
    return new Gelu(backend, name, width);
  }
}
