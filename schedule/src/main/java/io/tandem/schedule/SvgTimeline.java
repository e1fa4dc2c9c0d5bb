package io.tandem.schedule;

import java.util.Locale;

/**
 * A schedule's simulated timeline as a standalone SVG: one row per device, one rectangle per op
 * (F blue, B green, W orange, BW teal; lighter for a device's later chunks) labelled when wide
 * enough, with a tooltip giving the op and its times, a time axis and the metrics underneath.
 */
public final class SvgTimeline {
  private static final String[] COLORS = {"#4e79a7", "#59a14f", "#f28e2b", "#76b7b2"};
  private static final String[] LIGHT = {"#a0cbe8", "#8cd17d", "#ffbe7d", "#b6e3de"};
  private static final int ROW = 24;
  private static final int LEFT = 70;
  private static final int TOP = 30;

  private SvgTimeline() {}

  public static String render(Schedule s, SimulationResult r) {
    OpLabels labels = new OpLabels(s.placement());
    double makespan = Math.max(r.makespan(), 1e-9);
    double px = Math.max(2, Math.min(40, 1400 / makespan));
    int width = (int) Math.ceil(LEFT + makespan * px + 20);
    int p = s.devices();
    int height = TOP + p * ROW + 70;
    StringBuilder b = new StringBuilder();
    b.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    b.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
            + " font-family=\"monospace\" font-size=\"10\">%n", width, height, width, height));
    b.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
    b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"16\" font-size=\"13\">%s</text>%n", LEFT,
        escape(String.format(Locale.ROOT, "%s  p=%d m=%d chunks=%d", s.name(), s.devices(), s.microbatches(),
            s.chunksPerDevice()))));
    for (int d = 0; d < p; d++) {
      int y = TOP + d * ROW;
      b.append(String.format(Locale.ROOT, "<text x=\"4\" y=\"%d\">device %d</text>%n", y + 15, d));
      b.append(String.format(Locale.ROOT,
          "<rect x=\"%d\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"#f4f4f4\"/>%n", LEFT, y + 2, makespan * px,
          ROW - 4));
    }
    for (OpTiming t : r.timings()) {
      double x = LEFT + t.start() * px;
      double w = t.duration() * px;
      int y = TOP + t.device() * ROW;
      int kind = t.op().kind().ordinal();
      String fill = labels.chunk(t.op().virtualStage()) > 0 ? LIGHT[kind] : COLORS[kind];
      b.append(String.format(Locale.ROOT,
          "<rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"%s\" stroke=\"white\""
              + " stroke-width=\"0.5\"><title>%s on device %d: %s to %s</title></rect>%n",
          x, y + 2, w, ROW - 4, fill, t.op(), t.device(), TextTimeline.num(t.start()), TextTimeline.num(t.end())));
      String label = labels.label(t.op());
      if (w >= label.length() * 6.2 + 2) {
        b.append(String.format(Locale.ROOT, "<text x=\"%.2f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
            x + w / 2, y + 15, label));
      }
    }
    int axis = TOP + p * ROW + 4;
    double step = 1;
    while (step * px < 40) {
      step *= 2;
    }
    for (double t = 0; t <= r.makespan() + 1e-9; t += step) {
      double x = LEFT + t * px;
      b.append(String.format(Locale.ROOT,
          "<line x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" y2=\"%d\" stroke=\"#999\"/>"
              + "<text x=\"%.2f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%s</text>%n",
          x, axis, x, axis + 4, x, axis + 15, TextTimeline.num(t)));
    }
    b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", LEFT, axis + 35,
        escape(String.format(Locale.ROOT, "makespan %s  bubble %.4f  peak activation %s",
            TextTimeline.num(r.makespan()), r.bubble(), TextTimeline.list(r.peakActivation())))));
    b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#555\">%s</text>%n", LEFT, axis + 50,
        "F blue, B green, W orange, BW teal; lighter = later chunk"));
    b.append("</svg>\n");
    return b.toString();
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
