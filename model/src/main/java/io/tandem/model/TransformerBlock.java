package io.tandem.model;

import io.tandem.kernels.Backend;
import java.util.ArrayList;
import java.util.List;

/**
 * Pre-LN transformer block: {@code h = x + attn(ln1(x))}, {@code y = h + mlp(ln2(h))} with
 * {@code mlp = proj(gelu(fc(.)))} and a 4x hidden width. B runs the sublayers' B passes in
 * reverse, adding the residual gradients; W runs their W passes.
 */
public final class TransformerBlock implements Layer {
  private final String name;
  private final Backend backend;
  private final int width;
  private final LayerNorm ln1;
  private final CausalSelfAttention attn;
  private final LayerNorm ln2;
  private final Linear fc;
  private final Gelu gelu;
  private final Linear proj;
  private final List<Layer> sublayers;

  /**
   * @param std initial weight standard deviation
   * @param residualStd standard deviation for the projections that feed the residual stream
   */
  public TransformerBlock(Backend backend, String name, int width, int heads, double std,
      double residualStd, SplitMix64 rng) {
    this.name = name;
    this.backend = backend;
    this.width = width;
    this.ln1 = new LayerNorm(backend, name + ".ln1", width);
    this.attn = new CausalSelfAttention(backend, name + ".attn", width, heads, std, residualStd, rng);
    this.ln2 = new LayerNorm(backend, name + ".ln2", width);
    this.fc = new Linear(backend, name + ".fc", width, 4 * width, true, std, rng);
    this.gelu = new Gelu(backend, name + ".gelu", 4 * width);
    this.proj = new Linear(backend, name + ".proj", 4 * width, width, true, residualStd, rng);
    this.sublayers = List.of(ln1, attn, ln2, fc, gelu, proj);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<Parameter> parameters() {
    List<Parameter> ps = new ArrayList<>();
    for (Layer l : sublayers) {
      ps.addAll(l.parameters());
    }
    return List.copyOf(ps);
  }

  @Override
  public Tensor forward(Microbatch mb, Tensor x) {
    Tensor a = ln1.forward(mb, x);
    Tensor h = attn.forward(mb, a);
    a.release();
    backend.add(h.elements(), x.buffer(), h.buffer(), h.buffer());
    Tensor c = ln2.forward(mb, h);
    Tensor e = fc.forward(mb, c);
    c.release();
    Tensor g = gelu.forward(mb, e);
    e.release();
    Tensor y = proj.forward(mb, g);
    g.release();
    backend.add(y.elements(), h.buffer(), y.buffer(), y.buffer());
    h.release();
    return y;
  }

  @Override
  public Tensor backwardInput(Microbatch mb, Tensor dy) {
    Tensor dg = proj.backwardInput(mb, dy);
    Tensor de = gelu.backwardInput(mb, dg);
    dg.release();
    Tensor dc = fc.backwardInput(mb, de);
    de.release();
    Tensor dh = ln2.backwardInput(mb, dc);
    dc.release();
    backend.add(dh.elements(), dy.buffer(), dh.buffer(), dh.buffer());
    Tensor da = attn.backwardInput(mb, dh);
    Tensor dx = ln1.backwardInput(mb, da);
    da.release();
    backend.add(dx.elements(), dh.buffer(), dx.buffer(), dx.buffer());
    dh.release();
    return dx;
  }

  @Override
  public void backwardWeight(Microbatch mb) {
    for (Layer l : sublayers) {
      l.backwardWeight(mb);
    }
  }

  @Override
  public void discard(int microbatch) {
    for (Layer l : sublayers) {
      l.discard(microbatch);
    }
  }

  @Override
  public long stashedBytes() {
    long n = 0;
    for (Layer l : sublayers) {
      n += l.stashedBytes();
    }
    return n;
  }

  @Override
  public PassFlops flops(int batchSize, int seqLen) {
    PassFlops f = PassFlops.NONE;
    for (Layer l : sublayers) {
      f = f.plus(l.flops(batchSize, seqLen));
    }
    return f;
  }

  @Override
  public StashBytes stashBytes(int batchSize, int seqLen) {
    StashBytes s = StashBytes.NONE;
    for (Layer l : sublayers) {
      s = s.plus(l.stashBytes(batchSize, seqLen));
    }
    return s;
  }
}
