package io.tandem.model;

import io.tandem.kernels.Backend;
import java.util.List;

/** GELU (tanh approximation), elementwise. F stashes x for B; there is no W. */
public final class Gelu implements Layer {
  private final String name;
  private final Backend backend;
  private final int width;
  private final Stashes stash;

  public Gelu(Backend backend, String name, int width) {
    this.name = name;
    this.backend = backend;
    this.width = width;
    this.stash = new Stashes(name);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<Parameter> parameters() {
    return List.of();
  }

  @Override
  public Tensor forward(Microbatch mb, Tensor x) {
    Tensor y = Tensor.zeros(backend, x.rows(), x.cols());
    backend.gelu(x.elements(), x.buffer(), y.buffer());
    stash.keep(mb.id(), "x", x);
    return y;
  }

  @Override
  public Tensor backwardInput(Microbatch mb, Tensor dy) {
    Tensor x = stash.get(mb.id(), "x");
    Tensor dx = Tensor.zeros(backend, x.rows(), x.cols());
    backend.geluBackward(x.elements(), x.buffer(), dy.buffer(), dx.buffer());
    stash.releaseAll(mb.id());
    return dx;
  }

  @Override
  public void backwardWeight(Microbatch mb) {
    // no weights
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
    return new StashBytes((long) batchSize * seqLen * width * Float.BYTES, 0, 0);
  }
}
