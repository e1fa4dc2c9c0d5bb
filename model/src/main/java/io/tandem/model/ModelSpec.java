package io.tandem.model;

import io.tandem.kernels.Backend;
import io.tandem.kernels.CpuBackend;
import java.util.ArrayList;
import java.util.List;

/**
 * What model to build: its shape and how to make layer {@code i}. Layer {@code i}'s initial
 * weights depend only on (seed, i), so building a slice alone gives the same weights as
 * building the whole model and slicing it.
 */
public sealed interface ModelSpec permits GptSpec, MlpSpec {

  /** Preset or descriptive name. */
  String name();

  /** Number of layers of the built model. */
  int numLayers();

  /** Tokens per sequence (the longest the model takes). */
  int seqLen();

  /** Vocabulary size (256: bytes). */
  int vocab();

  /** Creates layer {@code index} on {@code backend}, initialized from (seed, index). */
  Layer createLayer(Backend backend, long seed, int index);

  /** Name of layer {@code index}, without building it. */
  String layerName(int index);

  /** Builds the whole model. */
  default Model build(Backend backend, long seed) {
    return build(backend, seed, 0, numLayers());
  }

  /** Builds only layers {@code [from, to)}: the chunk a virtual stage runs. */
  default Model build(Backend backend, long seed, int from, int to) {
    if (from < 0 || to > numLayers() || from >= to) {
      throw new IllegalArgumentException("layer range [" + from + ", " + to + ") not within 0.." + numLayers());
    }
    List<Layer> layers = new ArrayList<>();
    for (int i = from; i < to; i++) {
      layers.add(createLayer(backend, seed, i));
    }
    return new Model(this, from, layers);
  }

  /**
   * Per-layer parameters, stash and work for microbatches of {@code batchSize} sequences, for
   * planning: builds the model once on a temporary one-thread CPU backend and frees it.
   */
  default List<LayerInfo> describe(int batchSize) {
    try (Backend cpu = CpuBackend.create(1)) {
      Model m = build(cpu, 0);
      List<LayerInfo> info = m.describe(batchSize);
      m.free();
      return info;
    }
  }

  /** The random stream that initializes layer {@code index}. */
  static SplitMix64 initStream(long seed, int index) {
    return SplitMix64.keyed(seed, 0x1A7E5L, index);
  }
}
