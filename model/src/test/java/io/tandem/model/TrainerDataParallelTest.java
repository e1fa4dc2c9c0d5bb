package io.tandem.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.kernels.Backend;
import io.tandem.model.data.CorpusDataset;
import io.tandem.model.data.EuroparlCorpus;
import io.tandem.model.optim.GradientClipping;
import io.tandem.model.optim.LearningRate;
import io.tandem.model.optim.Sgd;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The reference trainer's {@code dataParallel} grouping: replica r sums microbatches
 * {@code [r*m/D, (r+1)*m/D)} from zero, the step's gradient is the replicas' sums added in
 * replica order.
 */
class TrainerDataParallelTest {
  static final long SEED = 11;
  static final int M = 4;
  static final int B = 2;
  static final float LR = 0.01f;
  static final CorpusDataset DATA = new CorpusDataset(EuroparlCorpus.shared());

  /** The step's gradient as the definition says, computed by hand from the model's passes. */
  private static float[][] handReducedGradient(Backend backend, Model model, int d) {
    int per = M / d;
    float[][] sum = null;
    for (int r = 0; r < d; r++) {
      model.zeroGrad();
      for (int m = r * per; m < (r + 1) * per; m++) {
        Microbatch mb = Microbatch.upload(backend, m, DATA.trainBatch(SEED, 1, m, B, model.spec().seqLen()), M);
        model.forward(mb, null).release();
        Tensor dx = model.backward(mb, null);
        if (dx != null) {
          dx.release();
        }
        mb.free(backend);
      }
      List<Parameter> ps = model.parameters();
      if (sum == null) {
        sum = new float[ps.size()][];
        for (int i = 0; i < ps.size(); i++) {
          sum[i] = ps.get(i).gradient();
        }
      } else {
        for (int i = 0; i < ps.size(); i++) {
          float[] g = ps.get(i).gradient();
          for (int j = 0; j < g.length; j++) {
            sum[i][j] += g[j];
          }
        }
      }
    }
    model.zeroGrad();
    return sum;
  }

  private static float[][] weightsAfterOneStep(int d) {
    try (Backend backend = TestSupport.cpu(1)) {
      Model model = Presets.GPT_TINY.build(backend, SEED);
      Trainer t = new Trainer(backend, model, new Sgd(0f, 0f), LearningRate.constant(LR), 0, d);
      t.step(DATA, SEED, 1, M, B);
      List<Parameter> ps = model.parameters();
      float[][] w = new float[ps.size()][];
      for (int i = 0; i < ps.size(); i++) {
        w[i] = ps.get(i).get();
      }
      model.free();
      return w;
    }
  }

  @Test
  void twoReplicas_stepIsSgdOnTheReplicaOrderedSum() {
    float[][] expected;
    try (Backend backend = TestSupport.cpu(1)) {
      Model model = Presets.GPT_TINY.build(backend, SEED);
      float[][] grad = handReducedGradient(backend, model, 2);
      List<Parameter> ps = model.parameters();
      expected = new float[ps.size()][];
      for (int i = 0; i < ps.size(); i++) {
        ps.get(i).setGradient(grad[i]);
      }
      // plain SGD (no momentum, no decay, no clipping): w - lr * g, on the backend like the trainer
      GradientClipping.apply(ps, 1f);
      new Sgd(0f, 0f).step(ps, 1, LR);
      for (int i = 0; i < ps.size(); i++) {
        expected[i] = ps.get(i).get();
      }
      model.free();
    }
    float[][] actual = weightsAfterOneStep(2);
    for (int i = 0; i < expected.length; i++) {
      assertArrayEquals(expected[i], actual[i], "parameter " + i);
    }
  }

  @Test
  void groupingChangesOnlyTheSummationOrder() {
    float[][] one = weightsAfterOneStep(1);
    float[][] two = weightsAfterOneStep(2);
    float[][] four = weightsAfterOneStep(4);
    double maxDiff = 0;
    for (int i = 0; i < one.length; i++) {
      for (int j = 0; j < one[i].length; j++) {
        maxDiff = Math.max(maxDiff, Math.abs(one[i][j] - two[i][j]));
        maxDiff = Math.max(maxDiff, Math.abs(one[i][j] - four[i][j]));
      }
    }
    assertTrue(maxDiff < 1e-5, "same mean gradient up to rounding, max weight difference " + maxDiff);
  }

  @Test
  void microbatchesNotAMultipleOfReplicas_isRefused() {
    try (Backend backend = TestSupport.cpu(1)) {
      Model model = Presets.GPT_TINY.build(backend, SEED);
      Trainer t = new Trainer(backend, model, new Sgd(0f, 0f), LearningRate.constant(LR), 0, 3);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.step(DATA, SEED, 1, M, B));
      assertEquals("microbatches (4) must be a multiple of dataParallel (3)", e.getMessage());
      model.free();
    }
  }
}
