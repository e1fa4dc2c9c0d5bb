package io.tandem.schedule;

/**
 * Uniform op costs for one microbatch through {@code 1/p} of the model (DESIGN.md, "Schedule
 * JSON"): an op on a chunk takes {@code cost / chunksPerDevice}; {@code comm} is added when an
 * op's input comes from another device.
 */
public record OpCosts(double f, double b, double w, double comm) {
  public static final OpCosts UNIT = new OpCosts(1, 1, 1, 0);

  public OpCosts {
    check("F", f);
    check("B", b);
    check("W", w);
    check("comm", comm);
  }

  private static void check(String name, double value) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(
          "cost " + name + " must be a finite number >= 0, got " + value);
    }
  }

  /**
   * Parses {@code F=1,B=1,W=1,comm=0}; keys are case-insensitive, missing keys keep the unit
   * default.
   */
  public static OpCosts parse(String text) {
    double f = 1;
    double b = 1;
    double w = 1;
    double comm = 0;
    if (text == null || text.isBlank()) {
      return UNIT;
    }
    for (String part : text.split(",")) {
      String[] kv = part.split("=", -1);
      if (kv.length != 2) {
        throw new IllegalArgumentException(
            "bad cost '" + part.trim() + "': expected KEY=VALUE, e.g. F=1,B=1,W=1,comm=0");
      }
      double value;
      try {
        value = Double.parseDouble(kv[1].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad cost value '" + kv[1].trim() + "' for " + kv[0].trim());
      }
      switch (kv[0].trim().toLowerCase(java.util.Locale.ROOT)) {
        case "f" -> f = value;
        case "b" -> b = value;
        case "w" -> w = value;
        case "comm" -> comm = value;
        default -> throw new IllegalArgumentException(
            "unknown cost key '" + kv[0].trim() + "': use F, B, W or comm");
      }
    }
    return new OpCosts(f, b, w, comm);
  }
}
