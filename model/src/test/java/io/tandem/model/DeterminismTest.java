package io.tandem.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.tandem.kernels.Backend;
import io.tandem.model.data.CorpusDataset;
import io.tandem.model.data.EuroparlCorpus;
import io.tandem.model.optim.AdamW;
import io.tandem.model.optim.LearningRate;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Training is bit-for-bit the same with 1 and 2 CPU threads, and depends on the seed. */
class DeterminismTest {

  private record Run(List<Double> losses, String hash) {}

  private static Run train(int threads, long seed) {
    try (Backend backend = TestSupport.cpu(threads)) {
      Model model = Presets.GPT_TINY.build(backend, seed);
      Trainer trainer = new Trainer(backend, model, AdamW.defaults(), LearningRate.constant(1e-3f), 1.0);
      CorpusDataset data = new CorpusDataset(EuroparlCorpus.shared());
      List<Double> losses = new ArrayList<>();
      for (int step = 1; step <= 2; step++) {
        losses.add(trainer.step(data, seed, step, 2, 2).loss());
      }
      Run r = new Run(losses, model.weightsSha256());
      model.free();
      return r;
    }
  }

  @Test
  void oneAndTwoThreadsGiveIdenticalTraining() {
    Run one = train(1, 3);
    Run two = train(2, 3);
    assertEquals(one.losses(), two.losses());
    assertEquals(one.hash(), two.hash());
    assertNotEquals(one.hash(), train(2, 4).hash(), "another seed gives other weights");
  }
}
