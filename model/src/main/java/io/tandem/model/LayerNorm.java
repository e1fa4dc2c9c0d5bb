package io.tandem.model;

import io.tandem.kernels.Backend;
import java.util.List;

/**
 * Layer normalization over the columns with gain and bias. F stashes x, mean and 1/std (B and W
 * both need them); B stashes dy for W.
 */
public final class LayerNorm implements Layer {
  /** Epsilon added to the variance. */
  public static final float EPS = 1e-5f;
  private final String name;
  private final Backend backend;
  private final int width;
  private final Parameter gamma;
  private final Parameter beta;
  private final Stashes stash;

  public LayerNorm(Backend backend, String name, int width) {
    this.name = name;
    this.backend = backend;
    this.width = width;
    this.gamma = new Parameter(backend, name + ".weight", 1, width, false);
    this.beta = new Parameter(backend, name + ".bias", 1, width, false);
    backend.fill(gamma.value(), 0, width, 1f);
    this.stash = new Stashes(name);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<Parameter> parameters() {
    return List.of(gamma, beta);
  }

  @Override
  public Tensor forward(Microbatch mb, Tensor x) {
    if (x.cols() != width) {
      throw new IllegalArgumentException(name + ": input has " + x.cols() + " columns, expected " + width);
    }
    int rows = x.rows();
    Tensor y = Tensor.zeros(backend, rows, width);
    Tensor mean = Tensor.zeros(backend, rows, 1);
    Tensor rstd = Tensor.zeros(backend, rows, 1);
    backend.layerNorm(x.buffer(), gamma.value(), beta.value(), y.buffer(), mean.buffer(), rstd.buffer(),
        rows, width, EPS);
    stash.keep(mb.id(), "x", x);
    stash.own(mb.id(), "mean", mean);
    stash.own(mb.id(), "rstd", rstd);
    return y;
  }

  @Override
  public Tensor backwardInput(Microbatch mb, Tensor dy) {
    int id = mb.id();
    Tensor x = stash.get(id, "x");
    Tensor dx = Tensor.zeros(backend, x.rows(), width);
    backend.layerNormBackwardInput(dy.buffer(), x.buffer(), gamma.value(), stash.get(id, "mean").buffer(),
        stash.get(id, "rstd").buffer(), dx.buffer(), x.rows(), width);
    stash.keep(id, "dy", dy);
    return dx;
  }

  @Override
  public void backwardWeight(Microbatch mb) {
    int id = mb.id();
    Tensor x = stash.get(id, "x");
    backend.layerNormBackwardWeight(stash.get(id, "dy").buffer(), x.buffer(), stash.get(id, "mean").buffer(),
        stash.get(id, "rstd").buffer(), gamma.grad(), beta.grad(), x.rows(), width);
    stash.releaseAll(id);
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
    return PassFlops.NONE;
  }

  @Override
  public StashBytes stashBytes(int batchSize, int seqLen) {
    long rows = (long) batchSize * seqLen;
    return new StashBytes(0, (rows * width + 2 * rows) * Float.BYTES, rows * width * Float.BYTES);
  }
}
