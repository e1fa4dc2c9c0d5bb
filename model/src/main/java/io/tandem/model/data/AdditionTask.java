package io.tandem.model.data;

import io.tandem.model.SplitMix64;

/**
 * Synthetic task: multi-digit addition written as text, e.g. {@code 047+382=924\n} for three
 * digits (the sum is written least-significant digit first and padded to {@code digits + 1}, so
 * each answer digit depends on the operands and the carry just produced). Several examples are
 * packed into each sequence; only the answer digits are scored, each predicted from the text
 * before it. An example is correct when every answer digit is the arg-max prediction, which
 * with teacher forcing is exactly when greedy decoding would produce the right answer.
 */
public final class AdditionTask implements Dataset {
  private static final long VALIDATION_SEED = 0x5EEDL;
  private final int digits;

  public AdditionTask(int digits) {
    if (digits < 1 || digits > 9) {
      throw new IllegalArgumentException("digits must be 1..9, got " + digits);
    }
    this.digits = digits;
  }

  @Override
  public String name() {
    return "addition" + digits;
  }

  public int digits() {
    return digits;
  }

  /** Characters one example takes: {@code a+b=sum\n}. */
  public int exampleLength() {
    return 3 * digits + 4;
  }

  /** Examples packed into a sequence of {@code seqLen} tokens. */
  public int examplesPerSequence(int seqLen) {
    int n = (seqLen - 1) / exampleLength();
    if (n < 1) {
      throw new IllegalArgumentException("sequence length " + seqLen + " too short for " + digits + "-digit addition");
    }
    return n;
  }

  @Override
  public TokenBatch trainBatch(long seed, long step, int microbatch, int batchSize, int seqLen) {
    return batch(batchSize, seqLen, b -> SplitMix64.keyed(seed, 0xADDL, step, microbatch, b));
  }

  @Override
  public TokenBatch validationBatch(int index, int batchSize, int seqLen) {
    return batch(batchSize, seqLen, b -> SplitMix64.keyed(VALIDATION_SEED, 0xADDL, -1, index, b));
  }

  private TokenBatch batch(int batchSize, int seqLen, java.util.function.IntFunction<SplitMix64> rngForRow) {
    int[] in = new int[batchSize * seqLen];
    int[] tg = new int[batchSize * seqLen];
    java.util.Arrays.fill(tg, -1);
    int perSeq = examplesPerSequence(seqLen);
    int limit = (int) Math.pow(10, digits);
    for (int b = 0; b < batchSize; b++) {
      SplitMix64 rng = rngForRow.apply(b);
      byte[] text = new byte[seqLen + 1];
      java.util.Arrays.fill(text, (byte) '\n');
      boolean[] scored = new boolean[seqLen];
      int pos = 0;
      for (int e = 0; e < perSeq; e++) {
        int x = rng.nextInt(limit);
        int y = rng.nextInt(limit);
        String ex = pad(x, digits) + "+" + pad(y, digits) + "="
            + new StringBuilder(pad(x + y, digits + 1)).reverse() + "\n";
        for (int i = 0; i < ex.length(); i++) {
          text[pos + i] = (byte) ex.charAt(i);
        }
        int eq = pos + 2 * digits + 1;
        for (int i = eq; i <= eq + digits; i++) {
          scored[i] = true;
        }
        pos += ex.length();
      }
      for (int t = 0; t < seqLen; t++) {
        in[b * seqLen + t] = text[t];
        tg[b * seqLen + t] = scored[t] ? text[t + 1] : -1;
      }
    }
    return new TokenBatch(batchSize, seqLen, in, tg);
  }

  private static String pad(int v, int width) {
    StringBuilder s = new StringBuilder(Integer.toString(v));
    while (s.length() < width) {
      s.insert(0, '0');
    }
    return s.toString();
  }

  /**
   * Counts the examples in {@code batch} whose scored targets all equal {@code predictions}
   * (per-position arg-max tokens). Returns {@code {correct, total}}.
   */
  public int[] countCorrect(TokenBatch batch, int[] predictions) {
    int[] tg = batch.targets();
    int correct = 0;
    int total = 0;
    int i = 0;
    while (i < tg.length) {
      if (tg[i] < 0) {
        i++;
        continue;
      }
      boolean ok = true;
      int run = 0;
      while (i < tg.length && tg[i] >= 0 && run < digits + 1) {
        ok &= predictions[i] == tg[i];
        i++;
        run++;
      }
      total++;
      if (ok) {
        correct++;
      }
    }
    return new int[] {correct, total};
  }
}
