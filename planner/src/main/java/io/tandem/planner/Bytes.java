package io.tandem.planner;

import java.util.Locale;

/** Byte sizes: {@code 24GiB}, {@code 512MiB}, {@code 1.5GB}, plain numbers; and back to text. */
public final class Bytes {
  private Bytes() {}

  /** Parses a size: a number with an optional unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB). */
  public static long parse(String text) {
    String t = text == null ? "" : text.trim();
    int i = 0;
    while (i < t.length() && (Character.isDigit(t.charAt(i)) || t.charAt(i) == '.')) {
      i++;
    }
    String num = t.substring(0, i);
    String unit = t.substring(i).trim().toLowerCase(Locale.ROOT);
    double mult = switch (unit) {
      case "", "b" -> 1;
      case "k", "kb" -> 1e3;
      case "m", "mb" -> 1e6;
      case "g", "gb" -> 1e9;
      case "t", "tb" -> 1e12;
      case "kib" -> 1L << 10;
      case "mib" -> 1L << 20;
      case "gib" -> 1L << 30;
      case "tib" -> 1L << 40;
      default -> throw new IllegalArgumentException("bad size '" + text + "': use e.g. 24GiB, 512MiB, 80GB");
    };
    double v;
    try {
      v = Double.parseDouble(num);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad size '" + text + "': use e.g. 24GiB, 512MiB, 80GB");
    }
    if (!(v > 0) || v * mult >= Long.MAX_VALUE) {
      throw new IllegalArgumentException("size must be > 0, got '" + text + "'");
    }
    return Math.round(v * mult);
  }

  /** {@code 1.50 GiB}, {@code 12.0 MiB}, {@code 512 B}. */
  public static String format(long bytes) {
    double b = Math.abs((double) bytes);
    String sign = bytes < 0 ? "-" : "";
    if (b >= 1L << 30) {
      return sign + String.format(Locale.ROOT, "%.2f GiB", b / (1L << 30));
    }
    if (b >= 1L << 20) {
      return sign + String.format(Locale.ROOT, "%.1f MiB", b / (1L << 20));
    }
    if (b >= 1L << 10) {
      return sign + String.format(Locale.ROOT, "%.1f KiB", b / (1L << 10));
    }
    return sign + bytes + " B";
  }
}
