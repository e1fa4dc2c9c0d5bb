package io.tandem.planner;

/** Layers {@code [firstLayer, endLayer)} of one virtual stage. */
public record StageRange(int virtualStage, int firstLayer, int endLayer) {
  public StageRange {
    if (virtualStage < 0 || firstLayer < 0 || endLayer <= firstLayer) {
      throw new IllegalArgumentException("bad stage range: stage " + virtualStage + " layers [" + firstLayer + ", "
          + endLayer + ")");
    }
  }

  public int layers() {
    return endLayer - firstLayer;
  }
}
