package io.tandem.planner;

import io.tandem.schedule.Placement;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A schedule family as the planner sees it: the registry name, its placement and chunk count,
 * the weight copies it keeps, what it requires of (devices, microbatches), and a closed-form
 * bubble estimate used only to order the search (the simulator gives the real figure).
 *
 * @param name registry name ({@code io.tandem.schedule.ScheduleRegistry})
 * @param chunks chunks (virtual stages) per device
 * @param vShape V-shape placement; otherwise linear (1 chunk) or interleaved
 * @param weightCopies weight versions kept (2 for PipeDream-2BW)
 * @param zeroBubble whether the family targets zero bubble (splits B and W)
 */
public record Family(String name, int chunks, boolean vShape, int weightCopies, boolean zeroBubble) {
  /** Every family the planner searches, in registry order. */
  public static final List<Family> ALL = List.of(
      new Family("gpipe", 1, false, 1, false),
      new Family("1f1b", 1, false, 1, false),
      new Family("interleaved-1f1b", 2, false, 1, false),
      new Family("zb-h1", 1, false, 1, true),
      new Family("zb-h2", 1, false, 1, true),
      new Family("2bw", 1, false, 2, false),
      new Family("zb-v", 2, true, 1, true),
      new Family("v-min", 2, true, 1, false),
      new Family("v-half", 2, true, 1, false),
      new Family("v-zb", 2, true, 1, true),
      new Family("auto", 2, true, 1, true));

  /** The family called {@code name} (any case); the error lists the valid names. */
  public static Family byName(String name) {
    String key = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    for (Family f : ALL) {
      if (f.name.equals(key)) {
        return f;
      }
    }
    throw new IllegalArgumentException("unknown schedule '" + name + "'; known: "
        + String.join(", ", ALL.stream().map(Family::name).toList()));
  }

  public Placement placement(int devices) {
    if (vShape) {
      return Placement.vShape(devices);
    }
    return chunks == 1 ? Placement.linear(devices) : Placement.interleaved(devices, chunks);
  }

  /** Why this family cannot run {@code m} microbatches on {@code p} devices, if it cannot. */
  public Optional<String> unsupported(int p, int m, int layers) {
    if (p * chunks > layers) {
      return Optional.of(name + " needs " + p * chunks + " virtual stages, the model has " + layers + " layers");
    }
    if ((name.equals("interleaved-1f1b") || name.equals("2bw")) && m % p != 0) {
      return Optional.of(name + " needs microbatches (" + m + ") to be a multiple of the pipeline depth (" + p + ")");
    }
    return Optional.empty();
  }

  /** Closed-form bubble estimate for F = B = W (for ordering the search only). */
  public double bubbleEstimate(int p, int m) {
    double q = p - 1;
    return switch (name) {
      case "gpipe", "1f1b", "2bw" -> q / (m + q);
      case "interleaved-1f1b" -> q / (2.0 * m + q);
      case "zb-h1", "zb-h2" -> q / (3.0 * m + q);
      case "v-half" -> p / (2.0 * m + p);
      case "v-min" -> 2.0 * p / (3.0 * m + 2 * p);
      default -> q / (6.0 * m + q);
    };
  }
}
