package io.tandem.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.model.data.AdditionTask;
import io.tandem.model.data.CorpusDataset;
import io.tandem.model.data.EuroparlCorpus;
import io.tandem.model.data.TokenBatch;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class DataTest {

  @Test
  void corpusIsSplitAndBatchesAreDeterministic() {
    EuroparlCorpus corpus = EuroparlCorpus.shared();
    assertTrue(corpus.trainSize() > 3_000_000, "train " + corpus.trainSize());
    assertTrue(corpus.validationSize() > 300_000, "validation " + corpus.validationSize());
    CorpusDataset data = new CorpusDataset(corpus);
    TokenBatch a = data.trainBatch(1, 10, 2, 4, 32);
    TokenBatch b = data.trainBatch(1, 10, 2, 4, 32);
    assertArrayEquals(a.inputs(), b.inputs());
    assertFalse(Arrays.equals(a.inputs(), data.trainBatch(1, 10, 3, 4, 32).inputs()));
    assertFalse(Arrays.equals(a.inputs(), data.trainBatch(2, 10, 2, 4, 32).inputs()));
    for (int t = 0; t < 31; t++) {
      assertEquals(a.targets()[t], a.inputs()[t + 1], "targets are the next byte");
    }
    assertEquals(4 * 32, a.validTargets());
    assertArrayEquals(data.validationBatch(0, 4, 32).inputs(), data.validationBatch(0, 4, 32).inputs());
  }

  @Test
  void additionExamplesAreCorrectSums() {
    AdditionTask task = new AdditionTask(3);
    TokenBatch tb = task.trainBatch(7, 1, 0, 2, 64);
    assertEquals(4, task.examplesPerSequence(64));
    StringBuilder s = new StringBuilder();
    for (int t = 0; t < 64; t++) {
      s.append((char) tb.inputs()[t]);
    }
    String[] examples = s.toString().split("\n");
    for (int e = 0; e < 4; e++) {
      String ex = examples[e];
      int a = Integer.parseInt(ex.substring(0, 3));
      int b = Integer.parseInt(ex.substring(4, 7));
      String sum = new StringBuilder(ex.substring(8)).reverse().toString();
      assertEquals(a + b, Integer.parseInt(sum), ex);
      assertEquals('=', ex.charAt(7));
    }
    assertEquals(2 * 4 * 4, tb.validTargets(), "digits+1 scored answer digits per example");
    int[] perfect = tb.targets().clone();
    assertArrayEquals(new int[] {8, 8}, task.countCorrect(tb, perfect));
    int firstScored = 0;
    while (tb.targets()[firstScored] < 0) {
      firstScored++;
    }
    perfect[firstScored] = '?';
    assertArrayEquals(new int[] {7, 8}, task.countCorrect(tb, perfect));
  }
}
