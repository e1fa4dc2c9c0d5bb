package io.tandem.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tandem.kernels.Backend;
import io.tandem.model.data.CorpusDataset;
import io.tandem.model.data.EuroparlCorpus;
import io.tandem.model.data.TokenBatch;
import io.tandem.model.optim.GradientClipping;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * gpt-tiny split into chunks (each built on its own from the seed), run chunk by chunk in a
 * pipeline-like order, gives bitwise the loss, gradients, gradient norm and weights hash of the
 * unsplit model.
 */
class ChunkSplitTest {
  private static final GptSpec SPEC = Presets.GPT_TINY;
  private static final long SEED = 42;
  private static final int MICROBATCHES = 2;
  private static final int BATCH = 2;
  private static Backend backend;
  private static Reference reference;

  private record Reference(double loss, List<float[]> grads, double norm, String hash) {}

  @BeforeAll
  static void start() {
    backend = TestSupport.cpu(2);
    Model whole = SPEC.build(backend, SEED);
    reference = run(List.of(whole));
    whole.free();
  }

  @AfterAll
  static void stop() {
    backend.close();
  }

  private static Reference run(List<Model> chunks) {
    CorpusDataset data = new CorpusDataset(EuroparlCorpus.shared());
    List<Microbatch> mbs = new ArrayList<>();
    for (int m = 0; m < MICROBATCHES; m++) {
      TokenBatch tb = data.trainBatch(SEED, 1, m, BATCH, SPEC.seqLen());
      mbs.add(Microbatch.upload(backend, m, tb, MICROBATCHES));
    }
    double loss = 0;
    // all forwards first (several microbatches in flight), chunk by chunk
    for (Microbatch mb : mbs) {
      Tensor cur = null;
      for (Model c : chunks) {
        Tensor next = c.forward(mb, cur);
        if (cur != null) {
          cur.release();
        }
        cur = next;
      }
      loss += Model.loss(cur, mb);
      cur.release();
    }
    // B of the later microbatch first, W deferred until all B are done
    for (int m = MICROBATCHES - 1; m >= 0; m--) {
      Tensor cur = null;
      for (int c = chunks.size() - 1; c >= 0; c--) {
        Tensor next = chunks.get(c).backwardInput(mbs.get(m), cur);
        if (cur != null) {
          cur.release();
        }
        cur = next;
      }
    }
    for (Microbatch mb : mbs) {
      for (Model c : chunks) {
        c.backwardWeight(mb);
      }
      mb.free(backend);
    }
    List<float[]> grads = new ArrayList<>();
    List<Double> perLayer = new ArrayList<>();
    List<byte[]> digests = new ArrayList<>();
    for (Model c : chunks) {
      for (Parameter p : c.parameters()) {
        grads.add(p.gradient());
      }
      for (double d : c.gradSumOfSquaresPerLayer()) {
        perLayer.add(d);
      }
      digests.addAll(c.layerDigests());
    }
    double norm = GradientClipping.globalNorm(perLayer.stream().mapToDouble(Double::doubleValue).toArray());
    return new Reference(loss, grads, norm, Model.combineDigests(digests));
  }

  @ParameterizedTest(name = "{0} chunks")
  @ValueSource(ints = {1, 2, 4, 8})
  void chunkedRunMatchesUnsplitBitwise(int chunks) {
    int layers = SPEC.numLayers();
    List<Model> parts = new ArrayList<>();
    for (int c = 0; c < chunks; c++) {
      parts.add(SPEC.build(backend, SEED, c * layers / chunks, (c + 1) * layers / chunks));
    }
    Reference r = run(parts);
    assertEquals(reference.loss(), r.loss(), 0.0, "loss");
    assertEquals(reference.grads().size(), r.grads().size());
    for (int i = 0; i < r.grads().size(); i++) {
      assertArrayEquals(reference.grads().get(i), r.grads().get(i), "gradient of parameter " + i);
    }
    assertEquals(reference.norm(), r.norm(), 0.0, "global gradient norm");
    assertEquals(reference.hash(), r.hash(), "weights hash");
    parts.forEach(Model::free);
  }
}
