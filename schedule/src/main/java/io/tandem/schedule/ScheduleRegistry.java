package io.tandem.schedule;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Every schedule generator by name. {@link #byName} is case-insensitive and its error lists the
 * valid names; {@link #all()} keeps the order of {@link #GENERATORS} (simplest first), which
 * {@code tandem schedule list} and {@code compare} print. To add a generator, add one line to
 * {@link #GENERATORS}. Generators are stateless, so one shared instance of each is enough.
 */
public final class ScheduleRegistry {
  /** The registered generators, in listing order. One line each. */
  private static final List<ScheduleGenerator> GENERATORS = List.of(
      new GPipe(),
      new OneFOneB(),
      new InterleavedOneFOneB(),
      new ZeroBubbleH1(),
      new ZeroBubbleH2(),
      new PipeDream2BW(),
      new ZbV(),
      new VMin(),
      new VHalf(),
      new VZb(),
      new AutoV());

  static {
    List<String> seen = new ArrayList<>();
    for (ScheduleGenerator g : GENERATORS) {
      String key = g.name().toLowerCase(Locale.ROOT);
      if (seen.contains(key)) {
        throw new IllegalStateException("two schedule generators are named '" + key + "'");
      }
      seen.add(key);
    }
  }

  private ScheduleRegistry() {}

  /** All generators in listing order. */
  public static List<ScheduleGenerator> all() {
    return GENERATORS;
  }

  /** The registered names, in listing order. */
  public static List<String> names() {
    List<String> names = new ArrayList<>(GENERATORS.size());
    for (ScheduleGenerator g : GENERATORS) {
      names.add(g.name());
    }
    return List.copyOf(names);
  }

  /** The generator called {@code name} (any case); the error lists the valid names. */
  public static ScheduleGenerator byName(String name) {
    String key = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    for (ScheduleGenerator g : GENERATORS) {
      if (g.name().equalsIgnoreCase(key)) {
        return g;
      }
    }
    throw new IllegalArgumentException(
        "unknown schedule '" + name + "'; known: " + String.join(", ", names()));
  }

  /** Shortcut: {@code byName(name).generate(spec)}. */
  public static Schedule generate(String name, ScheduleSpec spec) {
    return byName(name).generate(spec);
  }
}
