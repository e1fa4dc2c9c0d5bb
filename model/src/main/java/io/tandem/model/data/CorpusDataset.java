package io.tandem.model.data;

import io.tandem.model.SplitMix64;

/**
 * Byte-level language modelling on {@link EuroparlCorpus}: each sequence is a window of
 * {@code seqLen + 1} bytes (input = the first {@code seqLen}, target = the next byte at each
 * position). Training windows start at offsets drawn from (seed, step, microbatch, row);
 * validation windows are evenly spaced over the held-out split.
 */
public final class CorpusDataset implements Dataset {
  /** Vocabulary: bytes. */
  public static final int VOCAB = 256;
  private final EuroparlCorpus corpus;

  public CorpusDataset(EuroparlCorpus corpus) {
    this.corpus = corpus;
  }

  @Override
  public String name() {
    return "europarl";
  }

  @Override
  public TokenBatch trainBatch(long seed, long step, int microbatch, int batchSize, int seqLen) {
    byte[] text = corpus.train();
    int[] in = new int[batchSize * seqLen];
    int[] tg = new int[batchSize * seqLen];
    for (int b = 0; b < batchSize; b++) {
      SplitMix64 rng = SplitMix64.keyed(seed, 0xDA7AL, step, microbatch, b);
      int start = rng.nextInt(text.length - seqLen - 1);
      fill(text, start, b, seqLen, in, tg);
    }
    return new TokenBatch(batchSize, seqLen, in, tg);
  }

  @Override
  public TokenBatch validationBatch(int index, int batchSize, int seqLen) {
    byte[] text = corpus.validation();
    int[] in = new int[batchSize * seqLen];
    int[] tg = new int[batchSize * seqLen];
    int windows = Math.max(1, (text.length - 1) / (seqLen + 1));
    for (int b = 0; b < batchSize; b++) {
      long w = ((long) index * batchSize + b) * 7919L % windows;
      fill(text, (int) w * (seqLen + 1), b, seqLen, in, tg);
    }
    return new TokenBatch(batchSize, seqLen, in, tg);
  }

  private static void fill(byte[] text, int start, int row, int seqLen, int[] in, int[] tg) {
    for (int t = 0; t < seqLen; t++) {
      in[row * seqLen + t] = text[start + t] & 0xFF;
      tg[row * seqLen + t] = text[start + t + 1] & 0xFF;
    }
  }
}
