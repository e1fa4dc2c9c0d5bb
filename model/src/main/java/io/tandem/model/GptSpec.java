package io.tandem.model;

import io.tandem.kernels.Backend;

/**
 * A GPT-style decoder: layers are {@code embed}, {@code block0 .. block(L-1)}, {@code ln_f},
 * {@code head} ({@link LmHeadLoss}), so {@code L + 3} layers in all.
 *
 * @param name preset or descriptive name
 * @param blocks transformer blocks L
 * @param width model width d
 * @param heads attention heads (divide d)
 * @param seqLen tokens per sequence
 * @param vocab vocabulary size
 */
public record GptSpec(String name, int blocks, int width, int heads, int seqLen, int vocab) implements ModelSpec {
  /** Initial weight standard deviation. */
  public static final double STD = 0.02;

  public GptSpec {
    if (blocks < 0 || width <= 0 || heads <= 0 || seqLen <= 0 || vocab <= 0) {
      throw new IllegalArgumentException("bad gpt shape: blocks=" + blocks + " width=" + width
          + " heads=" + heads + " seqLen=" + seqLen + " vocab=" + vocab);
    }
    if (width % heads != 0) {
      throw new IllegalArgumentException("gpt width " + width + " is not divisible by " + heads + " heads");
    }
  }

  @Override
  public int numLayers() {
    return blocks + 3;
  }

  @Override
  public String layerName(int index) {
    checkIndex(index);
    if (index == 0) {
      return "embed";
    } else if (index <= blocks) {
      return "block" + (index - 1);
    } else if (index == blocks + 1) {
      return "ln_f";
    }
    return "head";
  }

  @Override
  public Layer createLayer(Backend backend, long seed, int index) {
    String name = layerName(index);
    SplitMix64 rng = ModelSpec.initStream(seed, index);
    if (index == 0) {
      return new Embedding(backend, name, vocab, width, seqLen, STD, rng);
    } else if (index <= blocks) {
      double residualStd = STD / Math.sqrt(2.0 * blocks);
      return new TransformerBlock(backend, name, width, heads, STD, residualStd, rng);
    } else if (index == blocks + 1) {
      return new LayerNorm(backend, name, width);
    }
    return new LmHeadLoss(backend, name, width, vocab, STD, rng);
  }

  private void checkIndex(int index) {
    if (index < 0 || index >= numLayers()) {
      throw new IllegalArgumentException("layer " + index + " not in 0.." + (numLayers() - 1));
    }
  }
}
