package io.tandem.actors.worker;

import java.util.ArrayList;
import java.util.List;

/**
 * Contiguous layer ranges, one per virtual stage: stage {@code v} runs layers
 * {@code [first(v), end(v))}. The planner chooses balanced ranges; {@link #even} splits by count.
 */
public record Partition(List<Integer> boundaries) {
  public Partition {
    boundaries = List.copyOf(boundaries);
    if (boundaries.size() < 2 || boundaries.get(0) != 0) {
      throw new IllegalArgumentException("partition boundaries must start at 0 and name at least one stage: " + boundaries);
    }
    for (int i = 1; i < boundaries.size(); i++) {
      if (boundaries.get(i) <= boundaries.get(i - 1)) {
        throw new IllegalArgumentException("partition boundaries must increase (every stage needs a layer): " + boundaries);
      }
    }
  }

  /** {@code layers} split over {@code stages} virtual stages as evenly as counts allow. */
  public static Partition even(int layers, int stages) {
    if (stages > layers) {
      throw new IllegalArgumentException("the model has " + layers + " layers but the schedule needs " + stages
          + " virtual stages (one layer at least each): use fewer devices or a one-chunk schedule");
    }
    List<Integer> b = new ArrayList<>();
    for (int v = 0; v <= stages; v++) {
      b.add((int) ((long) v * layers / stages));
    }
    return new Partition(b);
  }

  public int stages() {
    return boundaries.size() - 1;
  }

  public int first(int stage) {
    return boundaries.get(stage);
  }

  public int end(int stage) {
    return boundaries.get(stage + 1);
  }
}
