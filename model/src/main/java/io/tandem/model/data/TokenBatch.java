package io.tandem.model.data;

/**
 * A host-side batch of token sequences: {@code inputs[b * seqLen + t]} and the target to
 * predict there ({@code -1}: not scored).
 */
public record TokenBatch(int batchSize, int seqLen, int[] inputs, int[] targets) {

  public TokenBatch {
    if (inputs.length != batchSize * seqLen || targets.length != batchSize * seqLen) {
      throw new IllegalArgumentException("batch " + batchSize + "x" + seqLen + " needs " + batchSize * seqLen
          + " tokens, got " + inputs.length + " inputs and " + targets.length + " targets");
    }
  }

  /** Targets that are scored (not -1). */
  public int validTargets() {
    int n = 0;
    for (int t : targets) {
      if (t >= 0) {
        n++;
      }
    }
    return n;
  }
}
