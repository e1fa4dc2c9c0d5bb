package io.tandem.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as users type them: {@code 500ms}, {@code 90s}, {@code 10m}, {@code 2h} (a bare number is seconds). */
final class Durations {
  private static final Pattern FORM = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)?");

  private Durations() {}

  /** {@code text} as a positive duration; a bad one is an error naming {@code option}. */
  static Duration parse(String text, String option) {
    Matcher m = FORM.matcher(text == null ? "" : text.trim());
    if (!m.matches()) {
      throw new UserException(option + " " + text + " is not a duration; use e.g. 500ms, 90s, 10m or 2h");
    }
    double v = Double.parseDouble(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2);
    long millis = Math.round(v * switch (unit) {
      case "ms" -> 1;
      case "s" -> 1_000;
      case "m" -> 60_000;
      default -> 3_600_000;
    });
    if (millis <= 0) {
      throw new UserException(option + " must be longer than 0, got " + text);
    }
    return Duration.ofMillis(millis);
  }
}
