package io.tandem.schedule;

/** Short op labels shared by the renderers: {@code F3}, {@code BW3}, and a chunk letter when {@code c > 1}. */
final class OpLabels {
  private final int[] chunkOfStage;
  private final boolean multiChunk;

  OpLabels(Placement placement) {
    chunkOfStage = new int[placement.stages()];
    int[] seen = new int[placement.devices()];
    for (int v = 0; v < placement.stages(); v++) {
      chunkOfStage[v] = seen[placement.device(v)]++;
    }
    multiChunk = placement.chunksPerDevice() > 1;
  }

  /** Which of its device's chunks (0-based, in stage order) virtual stage {@code v} is. */
  int chunk(int virtualStage) {
    return chunkOfStage[virtualStage];
  }

  /** {@code F3}, or {@code F3a}/{@code F3b}/... for the device's first/second/... chunk. */
  String label(Op op) {
    String base = op.kind().name() + op.microbatch();
    if (!multiChunk) {
      return base;
    }
    int c = chunkOfStage[op.virtualStage()];
    return base + (c < 26 ? String.valueOf((char) ('a' + c)) : "#" + c);
  }
}
