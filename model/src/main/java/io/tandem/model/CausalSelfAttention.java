package io.tandem.model;

import io.tandem.kernels.Backend;
import java.util.ArrayList;
import java.util.List;

/**
 * Multi-head causal self-attention: a fused q/k/v projection, per-head causal softmax attention,
 * and an output projection. Heads are addressed in place with strided batched GEMMs (offsets
 * and leading dimensions into the q/k/v matrix), so nothing is reshaped or copied.
 *
 * <p>Stash: the projections stash as {@link Linear} does; the attention core stashes q/k/v and
 * the probabilities, which only B needs.
 */
public final class CausalSelfAttention implements Layer {
  private final String name;
  private final Backend backend;
  private final int width;
  private final int heads;
  private final int headDim;
  private final Linear qkv;
  private final Linear proj;
  private final Stashes stash;

  /**
   * @param projStd standard deviation of the output projection's initial weights
   */
  public CausalSelfAttention(Backend backend, String name, int width, int heads, double std,
      double projStd, SplitMix64 rng) {
    if (width % heads != 0) {
      throw new IllegalArgumentException(name + ": width " + width + " not divisible by " + heads + " heads");
    }
    this.name = name;
    this.backend = backend;
    this.width = width;
    this.heads = heads;
    this.headDim = width / heads;
    this.qkv = new Linear(backend, name + ".qkv", width, 3 * width, true, std, rng);
    this.proj = new Linear(backend, name + ".proj", width, width, true, projStd, rng);
    this.stash = new Stashes(name);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<Parameter> parameters() {
    List<Parameter> ps = new ArrayList<>(qkv.parameters());
    ps.addAll(proj.parameters());
    return List.copyOf(ps);
  }

  @Override
  public Tensor forward(Microbatch mb, Tensor x) {
    Tensor q = qkv.forward(mb, x);
    Tensor attended = attend(mb, q);
    q.release();
    Tensor y = proj.forward(mb, attended);
    attended.release();
    return y;
  }

  /** Attention core: per batch element, all heads in one strided batched GEMM. */
  private Tensor attend(Microbatch mb, Tensor qkvOut) {
    int b = mb.batchSize();
    int t = mb.seqLen();
    int d3 = 3 * width;
    long tt = (long) t * t;
    Tensor scores = Tensor.zeros(backend, b * heads * t, t);
    for (int i = 0; i < b; i++) {
      long base = (long) i * t * d3;
      backend.gemmStridedBatched(false, true, t, t, headDim, 1f,
          qkvOut.buffer(), base, d3, headDim,
          qkvOut.buffer(), base + width, d3, headDim,
          0f, scores.buffer(), i * heads * tt, t, tt, heads);
    }
    Tensor probs = Tensor.zeros(backend, b * heads * t, t);
    backend.causalSoftmax(scores.buffer(), probs.buffer(), b * heads, t, scale());
    scores.release();
    Tensor out = Tensor.zeros(backend, b * t, width);
    for (int i = 0; i < b; i++) {
      long base = (long) i * t * d3;
      backend.gemmStridedBatched(false, false, t, headDim, t, 1f,
          probs.buffer(), i * heads * tt, t, tt,
          qkvOut.buffer(), base + 2L * width, d3, headDim,
          0f, out.buffer(), (long) i * t * width, width, headDim, heads);
    }
    stash.keep(mb.id(), "qkv", qkvOut);
    stash.own(mb.id(), "probs", probs);
    return out;
  }

  private float scale() {
    return (float) (1.0 / Math.sqrt(headDim));
  }

  @Override
  public Tensor backwardInput(Microbatch mb, Tensor dy) {
    Tensor dAttended = proj.backwardInput(mb, dy);
    Tensor dQkv = attendBackward(mb, dAttended);
    dAttended.release();
    Tensor dx = qkv.backwardInput(mb, dQkv);
    dQkv.release();
    return dx;
  }

  private Tensor attendBackward(Microbatch mb, Tensor dOut) {
    int id = mb.id();
    Tensor q = stash.get(id, "qkv");
    Tensor probs = stash.get(id, "probs");
    int b = mb.batchSize();
    int t = mb.seqLen();
    int d3 = 3 * width;
    long tt = (long) t * t;
    Tensor dProbs = Tensor.zeros(backend, b * heads * t, t);
    Tensor dQkv = Tensor.zeros(backend, b * t, d3);
    for (int i = 0; i < b; i++) {
      long base = (long) i * t * d3;
      long outBase = (long) i * t * width;
      long pBase = i * heads * tt;
      // dP = dO V^T
      backend.gemmStridedBatched(false, true, t, t, headDim, 1f,
          dOut.buffer(), outBase, width, headDim,
          q.buffer(), base + 2L * width, d3, headDim,
          0f, dProbs.buffer(), pBase, t, tt, heads);
      // dV = P^T dO
      backend.gemmStridedBatched(true, false, t, headDim, t, 1f,
          probs.buffer(), pBase, t, tt,
          dOut.buffer(), outBase, width, headDim,
          0f, dQkv.buffer(), base + 2L * width, d3, headDim, heads);
    }
    Tensor dScores = Tensor.zeros(backend, b * heads * t, t);
    backend.softmaxBackward(probs.buffer(), dProbs.buffer(), dScores.buffer(), b * heads * t, t, scale());
    dProbs.release();
    for (int i = 0; i < b; i++) {
      long base = (long) i * t * d3;
      long pBase = i * heads * tt;
      // dQ = dS K
      backend.gemmStridedBatched(false, false, t, headDim, t, 1f,
          dScores.buffer(), pBase, t, tt,
          q.buffer(), base + width, d3, headDim,
          0f, dQkv.buffer(), base, d3, headDim, heads);
      // dK = dS^T Q
      backend.gemmStridedBatched(true, false, t, headDim, t, 1f,
          dScores.buffer(), pBase, t, tt,
          q.buffer(), base, d3, headDim,
          0f, dQkv.buffer(), base + width, d3, headDim, heads);
    }
    dScores.release();
    stash.releaseAll(id);
    return dQkv;
  }

  @Override
  public void backwardWeight(Microbatch mb) {
    qkv.backwardWeight(mb);
    proj.backwardWeight(mb);
  }

  @Override
  public void discard(int microbatch) {
    qkv.discard(microbatch);
    stash.releaseAll(microbatch);
    proj.discard(microbatch);
  }

  @Override
  public long stashedBytes() {
    return qkv.stashedBytes() + stash.bytes() + proj.stashedBytes();
  }

  @Override
  public PassFlops flops(int batchSize, int seqLen) {
    double core = 4.0 * batchSize * seqLen * seqLen * width;
    return qkv.flops(batchSize, seqLen).plus(proj.flops(batchSize, seqLen)).plus(new PassFlops(core, 2 * core, 0));
  }

  @Override
  public StashBytes stashBytes(int batchSize, int seqLen) {
    long rows = (long) batchSize * seqLen;
    long core = (rows * 3 * width + (long) batchSize * heads * seqLen * seqLen) * Float.BYTES;
    return qkv.stashBytes(batchSize, seqLen)
        .plus(new StashBytes(core, 0, 0))
        .plus(proj.stashBytes(batchSize, seqLen));
  }
}
