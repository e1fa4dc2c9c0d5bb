package io.tandem.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.kernels.Backend;
import io.tandem.model.data.AdditionTask;
import io.tandem.model.data.CorpusDataset;
import io.tandem.model.data.EuroparlCorpus;
import io.tandem.model.optim.AdamW;
import io.tandem.model.optim.LearningRate;
import org.junit.jupiter.api.Test;

/** Short training runs learn: the corpus validation loss drops, addition gets solved. */
class TrainingTest {

  @Test
  void gptTinyLowersCorpusValidationLoss() {
    try (Backend backend = TestSupport.cpu(2)) {
      Model model = Presets.GPT_TINY.build(backend, 1);
      CorpusDataset data = new CorpusDataset(EuroparlCorpus.shared());
      double start = Evaluation.validationLoss(model, backend, data, 4, 8);
      Trainer trainer = new Trainer(backend, model, AdamW.defaults(), new LearningRate(3e-3f, 20, 300, 0.1f), 1.0);
      for (int step = 1; step <= 300; step++) {
        trainer.step(data, 1, step, 1, 8);
      }
      double end = Evaluation.validationLoss(model, backend, data, 4, 8);
      System.out.printf("gpt-tiny corpus validation loss %.3f -> %.3f%n", start, end);
      assertTrue(start > 5.3, "starts near ln(256): " + start);
      assertTrue(end < start - MARGIN_NATS, "validation loss " + start + " -> " + end);
      model.free();
    }
  }

  /** Measured drop: see the test output; asserted with slack. */
  private static final double MARGIN_NATS = 2.0;

  @Test
  void gptLearnsAddition() {
    try (Backend backend = TestSupport.cpu(2)) {
      Model model = Presets.GPT_TINY.build(backend, 1);
      AdditionTask task = new AdditionTask(2);
      Trainer trainer = new Trainer(backend, model, AdamW.defaults(), new LearningRate(3e-3f, 20, 300, 0.1f), 1.0);
      for (int step = 1; step <= 300; step++) {
        trainer.step(task, 1, step, 1, 8);
      }
      double acc = Evaluation.additionAccuracy(model, backend, task, 4, 16);
      System.out.printf("gpt-tiny 2-digit addition accuracy %.3f%n", acc);
      assertTrue(acc > MIN_ACCURACY, "accuracy " + acc);
      model.free();
    }
  }

  private static final double MIN_ACCURACY = 0.5;
}
