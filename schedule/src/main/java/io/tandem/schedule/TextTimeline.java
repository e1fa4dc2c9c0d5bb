package io.tandem.schedule;

import java.util.Locale;

/**
 * A schedule's simulated timeline as text for a terminal: a time ruler, then one row per device
 * with each op's label placed at its simulated start ({@code .} is idle), then the metrics.
 * With {@code color} the ops get ANSI background colours by kind (F blue, B green, W yellow,
 * BW cyan; brighter for a device's later chunks); use it only when stdout is a terminal.
 *
 * <p>By default the scale is the smallest at which every label fits its op; a positive
 * {@code maxWidth} shrinks it to that many timeline columns, cutting labels short.
 */
public final class TextTimeline {
  private static final String RESET = "\u001b[0m";

  private TextTimeline() {}

  public static String render(Schedule s, SimulationResult r, boolean color, int maxWidth) {
    OpLabels labels = new OpLabels(s.placement());
    double makespan = r.makespan();
    double scale = 1;
    for (OpTiming t : r.timings()) {
      double dur = t.duration();
      if (dur > 0) {
        scale = Math.max(scale, (labels.label(t.op()).length() + 1) / dur);
      }
    }
    if (maxWidth > 0 && makespan * scale > maxWidth) {
      scale = maxWidth / makespan;
    }
    int width = (int) Math.round(makespan * scale);
    int p = s.devices();
    char[][] cells = new char[p][width];
    byte[][] style = new byte[p][width]; // 0 idle, 1 + kind*2 + (later chunk ? 1 : 0)
    for (char[] row : cells) {
      java.util.Arrays.fill(row, '.');
    }
    for (OpTiming t : r.timings()) {
      int c0 = (int) Math.round(t.start() * scale);
      int c1 = Math.min(width, (int) Math.round(t.end() * scale));
      if (c1 <= c0) {
        continue;
      }
      String label = labels.label(t.op());
      int span = c1 - c0;
      int room = span > label.length() ? span - 1 : span;
      byte st = (byte) (1 + t.op().kind().ordinal() * 2 + (labels.chunk(t.op().virtualStage()) > 0 ? 1 : 0));
      for (int i = 0; i < span; i++) {
        cells[t.device()][c0 + i] = i < Math.min(room, label.length()) ? label.charAt(i) : ' ';
        style[t.device()][c0 + i] = st;
      }
    }
    String prefixFormat = "d%-" + Math.max(2, String.valueOf(p - 1).length()) + "d |";
    int prefix = String.format(Locale.ROOT, prefixFormat, 0).length();
    StringBuilder out = new StringBuilder();
    out.append(ruler(makespan, scale, width, prefix)).append('\n');
    for (int d = 0; d < p; d++) {
      out.append(String.format(Locale.ROOT, prefixFormat, d));
      appendRow(out, cells[d], style[d], color);
      out.append('\n');
    }
    out.append(summary(s, r));
    if (s.chunksPerDevice() > 1) {
      out.append("labels: a, b, ... = the device's 1st, 2nd, ... chunk\n");
    }
    return out.toString();
  }

  /** One-paragraph metrics: makespan, bubble, peak and idle per device. */
  public static String summary(Schedule s, SimulationResult r) {
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "%s: p=%d m=%d chunks=%d costs F=%s B=%s W=%s comm=%s%n",
        s.name(), s.devices(), s.microbatches(), s.chunksPerDevice(), num(s.costs().f()),
        num(s.costs().b()), num(s.costs().w()), num(s.costs().comm())));
    out.append(String.format(Locale.ROOT, "makespan %s  bubble %.4f  peak activation max %s%n",
        num(r.makespan()), r.bubble(), num(r.maxPeakActivation())));
    out.append("peak per device ").append(list(r.peakActivation())).append('\n');
    out.append("idle per device ").append(list(r.idleTime())).append('\n');
    return out.toString();
  }

  /** Numbers as {@code [4 3 2.5]}. */
  public static String list(double[] values) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < values.length; i++) {
      b.append(i == 0 ? "" : " ").append(num(values[i]));
    }
    return b.append(']').toString();
  }

  /** A number without trailing zeros: 4, 2.5, 0.333. */
  public static String num(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return String.valueOf((long) v);
    }
    String s = String.format(Locale.ROOT, "%.3f", v);
    s = s.replaceAll("0+$", "");
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }

  private static String ruler(double makespan, double scale, int width, int prefix) {
    char[] line = new char[prefix + width + 12];
    java.util.Arrays.fill(line, ' ');
    double step = 1;
    while (step * scale < 8) {
      step *= step == 1 || String.valueOf((long) step).startsWith("5") ? 2 : 2.5;
    }
    step = Math.max(1, Math.round(step));
    for (double t = 0; t <= makespan + 1e-9; t += step) {
      int col = prefix - 1 + (int) Math.round(t * scale); // the tick is the left edge of time t's cell, like the rows' bar
      String label = "|" + num(t);
      for (int i = 0; i < label.length() && col + i < line.length; i++) {
        line[col + i] = label.charAt(i);
      }
    }
    return ("t" + new String(line).substring(1)).stripTrailing();
  }

  private static void appendRow(StringBuilder out, char[] cells, byte[] style, boolean color) {
    if (!color) {
      out.append(cells);
      return;
    }
    byte current = 0;
    for (int i = 0; i < cells.length; i++) {
      if (style[i] != current) {
        out.append(RESET);
        if (style[i] != 0) {
          out.append(ansi(style[i]));
        }
        current = style[i];
      }
      out.append(cells[i]);
    }
    out.append(RESET);
  }

  private static String ansi(byte st) {
    int kind = (st - 1) / 2;
    boolean later = (st - 1) % 2 == 1;
    int[] bg = {44, 42, 43, 46}; // F blue, B green, W yellow, BW cyan
    return "\u001b[30;" + (later ? bg[kind] + 60 : bg[kind]) + "m";
  }
}
