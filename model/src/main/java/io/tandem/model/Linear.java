package io.tandem.model;

import io.tandem.kernels.Backend;
import java.util.List;

/**
 * {@code y = x W^T + b} for {@code x} of shape rows x in, {@code W} out x in. F stashes x (for
 * W); B computes {@code dx = dy W} and stashes dy; W adds {@code dy^T x} and the column sums of dy.
 */
public final class Linear implements Layer {
  private final String name;
  private final Backend backend;
  private final int in;
  private final int out;
  private final Parameter weight;
  private final Parameter bias;
  private final Stashes stash;

  /**
   * @param std standard deviation of the initial weights (normal); biases start at zero
   * @param rng source of the initial weights
   */
  public Linear(Backend backend, String name, int in, int out, boolean hasBias, double std, SplitMix64 rng) {
    this.name = name;
    this.backend = backend;
    this.in = in;
    this.out = out;
    this.weight = new Parameter(backend, name + ".weight", out, in, true);
    this.weight.set(rng.gaussians(out * in, std));
    this.bias = hasBias ? new Parameter(backend, name + ".bias", 1, out, false) : null;
    this.stash = new Stashes(name);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<Parameter> parameters() {
    return bias == null ? List.of(weight) : List.of(weight, bias);
  }

  public int inFeatures() {
    return in;
  }

  public int outFeatures() {
    return out;
  }

  Parameter weight() {
    return weight;
  }

  @Override
  public Tensor forward(Microbatch mb, Tensor x) {
    Tensor y = apply(x);
    stash.keep(mb.id(), "x", x);
    return y;
  }

  /** {@code x W^T + b} without stashing anything. */
  Tensor apply(Tensor x) {
    checkCols(x, in, "input");
    int rows = x.rows();
    Tensor y = Tensor.zeros(backend, rows, out);
    backend.gemm(false, true, rows, out, in, 1f, x.buffer(), 0, in, weight.value(), 0, in,
        0f, y.buffer(), 0, out);
    if (bias != null) {
      backend.biasAdd(y.buffer(), bias.value(), rows, out);
    }
    return y;
  }

  @Override
  public Tensor backwardInput(Microbatch mb, Tensor dy) {
    checkCols(dy, out, "output gradient");
    stash.get(mb.id(), "x");
    int rows = dy.rows();
    Tensor dx = Tensor.zeros(backend, rows, in);
    backend.gemm(false, false, rows, in, out, 1f, dy.buffer(), 0, out, weight.value(), 0, in,
        0f, dx.buffer(), 0, in);
    stash.keep(mb.id(), "dy", dy);
    return dx;
  }

  @Override
  public void backwardWeight(Microbatch mb) {
    Tensor x = stash.get(mb.id(), "x");
    Tensor dy = stash.get(mb.id(), "dy");
    accumulateWeightGrad(x, dy);
    stash.releaseAll(mb.id());
  }

  /** {@code dW += dy^T x}, {@code db += colsum(dy)}. */
  void accumulateWeightGrad(Tensor x, Tensor dy) {
    int rows = x.rows();
    backend.gemm(true, false, out, in, rows, 1f, dy.buffer(), 0, out, x.buffer(), 0, in,
        1f, weight.grad(), 0, in);
    if (bias != null) {
      backend.biasGrad(dy.buffer(), bias.grad(), rows, out);
    }
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
  public StashBytes stashBytes(int batchSize, int seqLen) {
    long rows = (long) batchSize * seqLen;
    return new StashBytes(0, rows * in * Float.BYTES, rows * out * Float.BYTES);
  }

  @Override
  public PassFlops flops(int batchSize, int seqLen) {
    double f = 2.0 * batchSize * seqLen * in * out;
    return new PassFlops(f, f, f);
  }

  private void checkCols(Tensor t, int cols, String what) {
    if (t.cols() != cols) {
      throw new IllegalArgumentException(name + ": " + what + " has " + t.cols() + " columns, expected " + cols);
    }
  }
}
