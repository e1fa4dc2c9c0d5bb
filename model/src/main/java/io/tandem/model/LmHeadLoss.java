package io.tandem.model;

import io.tandem.kernels.Backend;
import java.util.List;

/**
 * Language-model head and softmax cross-entropy: {@code logits = x W^T} over the vocabulary,
 * then the loss against {@link Microbatch#targets()}. The last layer of a model: F returns the
 * per-row losses (rows x 1, 0 where the target is -1) and stashes x and the logit gradient
 * (scaled by {@link Microbatch#lossScale()}); B takes a {@code null} output gradient.
 */
public final class LmHeadLoss implements Layer {
  private final String name;
  private final Backend backend;
  private final int width;
  private final int vocab;
  private final Parameter weight;
  private final Stashes stash;

  public LmHeadLoss(Backend backend, String name, int width, int vocab, double std, SplitMix64 rng) {
    this.name = name;
    this.backend = backend;
    this.width = width;
    this.vocab = vocab;
    this.weight = new Parameter(backend, name + ".weight", vocab, width, true);
    this.weight.set(rng.gaussians(vocab * width, std));
    this.stash = new Stashes(name);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<Parameter> parameters() {
    return List.of(weight);
  }

  private Tensor logits(Tensor x) {
    if (x.cols() != width) {
      throw new IllegalArgumentException(name + ": input has " + x.cols() + " columns, expected " + width);
    }
    Tensor logits = Tensor.zeros(backend, x.rows(), vocab);
    backend.gemm(false, true, x.rows(), vocab, width, 1f, x.buffer(), 0, width, weight.value(), 0, width,
        0f, logits.buffer(), 0, vocab);
    return logits;
  }

  @Override
  public Tensor forward(Microbatch mb, Tensor x) {
    int rows = x.rows();
    Tensor logits = logits(x);
    Tensor losses = Tensor.zeros(backend, rows, 1);
    Tensor dLogits = Tensor.zeros(backend, rows, vocab);
    backend.crossEntropy(logits.buffer(), mb.targets(), losses.buffer(), dLogits.buffer(), rows, vocab,
        mb.lossScale());
    logits.release();
    stash.keep(mb.id(), "x", x);
    stash.own(mb.id(), "dLogits", dLogits);
    return losses;
  }

  /** Each row's logits over the vocabulary, on the host ({@code rows x vocab}, no stash). */
  public float[] hostLogits(Tensor x) {
    Tensor logits = logits(x);
    float[] host = logits.toArray();
    logits.release();
    return host;
  }

  /** Vocabulary size: the logits' width. */
  public int vocab() {
    return vocab;
  }

  /** Greedy predictions: the arg-max token of each row's logits (no stash). */
  public int[] predict(Tensor x) {
    float[] host = hostLogits(x);
    int[] out = new int[x.rows()];
    for (int r = 0; r < out.length; r++) {
      int best = 0;
      for (int v = 1; v < vocab; v++) {
        if (host[r * vocab + v] > host[r * vocab + best]) {
          best = v;
        }
      }
      out[r] = best;
    }
    return out;
  }

  @Override
  public Tensor backwardInput(Microbatch mb, Tensor ignored) {
    Tensor dLogits = stash.get(mb.id(), "dLogits");
    Tensor dx = Tensor.zeros(backend, dLogits.rows(), width);
    backend.gemm(false, false, dLogits.rows(), width, vocab, 1f, dLogits.buffer(), 0, vocab,
        weight.value(), 0, width, 0f, dx.buffer(), 0, width);
    return dx;
  }

  @Override
  public void backwardWeight(Microbatch mb) {
    Tensor dLogits = stash.get(mb.id(), "dLogits");
    Tensor x = stash.get(mb.id(), "x");
    backend.gemm(true, false, vocab, width, x.rows(), 1f, dLogits.buffer(), 0, vocab, x.buffer(), 0, width,
        1f, weight.grad(), 0, width);
    stash.releaseAll(mb.id());
  }

  @Override
  public void discard(int microbatch) {
    stash.releaseAll(microbatch);
  }

  @Override
  public long stashedBytes() {
    return stash.bytes();
  }

  @Override
  public PassFlops flops(int batchSize, int seqLen) {
    double f = 2.0 * batchSize * seqLen * width * vocab;
    return new PassFlops(f, f, f);
  }

  @Override
  public StashBytes stashBytes(int batchSize, int seqLen) {
    long rows = (long) batchSize * seqLen;
    return new StashBytes(0, rows * (width + vocab) * Float.BYTES, 0);
  }
}
