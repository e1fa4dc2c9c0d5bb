package io.tandem.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.kernels.Backend;
import io.tandem.kernels.CpuBackend;
import io.tandem.model.data.CorpusDataset;
import io.tandem.model.data.EuroparlCorpus;
import io.tandem.model.optim.AdamW;
import io.tandem.model.optim.LearningRate;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Training is bit-for-bit the same with 1 and 2 CPU threads and depends on the seed; the Vector
 * API and scalar kernels agree closely on a whole model.
 */
class DeterminismTest {

  private record Run(List<Double> losses, String hash) {}

  private static Run train(int threads, long seed) {
    try (Backend backend = TestSupport.cpu(threads)) {
      Model model = Presets.GPT_TINY.build(backend, seed);
      Trainer trainer = new Trainer(backend, model, AdamW.defaults(), LearningRate.constant(1e-3f), 1.0);
      CorpusDataset data = new CorpusDataset(EuroparlCorpus.shared());
      List<Double> losses = new ArrayList<>();
      for (int step = 1; step <= 2; step++) {
        losses.add(trainer.step(data, seed, step, 2, 4).loss());
      }
      Run r = new Run(losses, model.weightsSha256());
      model.free();
      return r;
    }
  }

  /** Batches of 4 x 64 rows make the elementwise ops and GEMMs big enough to split over threads. */
  @Test
  void oneAndTwoThreadsGiveIdenticalTraining() {
    Run one = train(1, 3);
    Run two = train(2, 3);
    assertEquals(one.losses(), two.losses());
    assertEquals(one.hash(), two.hash());
    assertNotEquals(one.hash(), train(2, 4).hash(), "another seed gives other weights");
  }

  @Test
  void vectorAndScalarKernelsAgree() {
    Assumptions.assumeTrue(CpuBackend.vectorApiAvailable(), "Vector API module not present");
    double[] loss = new double[2];
    float[][] grads = new float[2][];
    CpuBackend.Kernels[] kinds = {CpuBackend.Kernels.VECTOR, CpuBackend.Kernels.SCALAR};
    for (int k = 0; k < 2; k++) {
      try (Backend backend = CpuBackend.create(2, kinds[k])) {
        Model model = Presets.GPT_TINY.build(backend, 5);
        Microbatch mb = Microbatch.upload(backend, 0,
            new CorpusDataset(EuroparlCorpus.shared()).trainBatch(5, 1, 0, 2, 64), 1);
        Tensor losses = model.forward(mb, null);
        loss[k] = Model.loss(losses, mb);
        losses.release();
        model.backward(mb, null);
        grads[k] = model.layers().get(1).parameters().get(2).gradient();
        mb.free(backend);
        model.free();
      }
    }
    assertEquals(loss[0], loss[1], 1e-5 * Math.abs(loss[0]), "loss");
    double diff = 0;
    double norm = 0;
    for (int i = 0; i < grads[0].length; i++) {
      diff += Math.pow(grads[0][i] - grads[1][i], 2);
      norm += Math.pow(grads[0][i], 2);
    }
    assertTrue(Math.sqrt(diff) <= 1e-4 * Math.sqrt(norm), "block0 qkv gradient differs: " + Math.sqrt(diff / norm));
  }
}
