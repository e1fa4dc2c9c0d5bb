package io.tandem.model;

import io.tandem.kernels.Backend;
import java.util.List;
import java.util.function.Function;

/** Small instances of every layer and model, shared by the gradient and pass-split tests. */
final class LayerCases {
  private LayerCases() {}

  /**
   * @param inCols input width, 0 when the layer reads token ids
   * @param loss whether the output is per-row losses
   */
  record Case(String name, Function<Backend, Object> make, int batch, int seqLen, int inCols, boolean loss,
      int vocab) {
    int rows() {
      return batch * seqLen;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static final GptSpec SMALL_GPT = new GptSpec("gpt-check", 2, 8, 2, 4, 11);
  static final MlpSpec SMALL_MLP = new MlpSpec("mlp-check", 2, 6, 4, 11);

  static List<Case> all() {
    return List.of(
        new Case("linear", b -> new Linear(b, "lin", 5, 4, true, 0.5, SplitMix64.keyed(1)), 2, 3, 5, false, 0),
        new Case("linear-nobias", b -> new Linear(b, "lin", 3, 6, false, 0.5, SplitMix64.keyed(2)), 1, 4, 3, false, 0),
        new Case("gelu", b -> new Gelu(b, "gelu", 7), 1, 3, 7, false, 0),
        new Case("layernorm", b -> randomized(new LayerNorm(b, "ln", 6), 3, 0.3), 2, 2, 6, false, 0),
        new Case("embedding", b -> new Embedding(b, "embed", 11, 4, 5, 0.5, SplitMix64.keyed(4)), 2, 5, 0, false, 11),
        new Case("attention", b -> new CausalSelfAttention(b, "attn", 8, 2, 0.5, 0.5, SplitMix64.keyed(5)),
            2, 4, 8, false, 0),
        new Case("block", b -> randomized(new TransformerBlock(b, "block", 8, 2, 0.4, 0.4, SplitMix64.keyed(6)), 6, 0.4),
            2, 3, 8, false, 0),
        new Case("head", b -> new LmHeadLoss(b, "head", 6, 7, 0.5, SplitMix64.keyed(7)), 2, 4, 6, true, 7),
        new Case("gpt", b -> randomized(SMALL_GPT.build(b, 8), 8, 0.3), 2, 4, 0, true, 11),
        new Case("mlp", b -> randomized(SMALL_MLP.build(b, 9), 9, 0.4), 2, 4, 0, true, 11));
  }

  private static <L extends Layer> L randomized(L layer, long seed, double std) {
    TestSupport.randomize(layer, seed, std);
    return layer;
  }

  private static Model randomized(Model model, long seed, double std) {
    for (Layer l : model.layers()) {
      TestSupport.randomize(l, seed * 31 + l.name().hashCode(), std);
    }
    return model;
  }
}
