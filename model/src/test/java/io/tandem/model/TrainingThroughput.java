package io.tandem.model;

import io.tandem.kernels.Backend;
import io.tandem.model.data.CorpusDataset;
import io.tandem.model.data.EuroparlCorpus;
import io.tandem.model.optim.AdamW;
import io.tandem.model.optim.LearningRate;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Single-process CPU training throughput (tokens/s) of a preset on the corpus. Not a test: runs
 * only with {@code -Dtandem.bench=<preset>[,<preset>...]}, e.g.
 * {@code mvn -B -o -q -pl model -am test -Dtest=TrainingThroughput -Dsurefire.failIfNoSpecifiedTests=false
 * -Dtandem.bench=gpt-tiny,gpt-mini}; {@code -Dtandem.bench.threads} (default: all cores),
 * {@code -Dtandem.bench.batch} (default 8) and {@code -Dtandem.bench.steps} (default 10).
 */
class TrainingThroughput {

  @Test
  @EnabledIfSystemProperty(named = "tandem.bench", matches = ".+")
  void measure() {
    int threads = Integer.getInteger("tandem.bench.threads", Runtime.getRuntime().availableProcessors());
    int batch = Integer.getInteger("tandem.bench.batch", 8);
    int steps = Integer.getInteger("tandem.bench.steps", 10);
    for (String preset : System.getProperty("tandem.bench").split(",")) {
      System.out.println(run(preset.trim(), threads, batch, steps));
    }
  }

  static String run(String preset, int threads, int batch, int steps) {
    ModelSpec spec = Presets.byName(preset);
    CorpusDataset data = new CorpusDataset(EuroparlCorpus.shared());
    try (Backend backend = TestSupport.cpu(threads)) {
      Model model = spec.build(backend, 1);
      Trainer trainer = new Trainer(backend, model, AdamW.defaults(), LearningRate.constant(1e-3f), 1.0);
      trainer.step(data, 1, 1, 1, batch); // warm-up
      trainer.step(data, 1, 2, 1, batch);
      long t0 = System.nanoTime();
      double loss = 0;
      for (int s = 0; s < steps; s++) {
        loss = trainer.step(data, 1, 3 + s, 1, batch).loss();
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      long tokens = (long) steps * batch * spec.seqLen();
      model.free();
      return String.format(Locale.ROOT,
          "%s params=%d threads=%d batch=%dx%d steps=%d: %.0f tokens/s (%.3f s/step, last loss %.3f)",
          preset, model.parameterCount(), threads, batch, spec.seqLen(), steps, tokens / secs, secs / steps, loss);
    }
  }
}
