package io.tandem.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress display for long runs: redrawn in place on a terminal, or printed as a
 * line every few percent when output goes to a file or pipe.
 */
final class ProgressBar {
  private static final int WIDTH = 24;

  private final PrintWriter out;
  private final long total;
  private final boolean terminal;
  private final long every;
  private final java.util.function.LongSupplier clock;
  private int lastLength;
  private long firstDone = -1;
  private long firstNanos;

  ProgressBar(PrintWriter out, long total, boolean terminal) {
    this(out, total, terminal, System::nanoTime);
  }

  /** With {@code clock} (nanoseconds) for the time-left estimate. */
  ProgressBar(PrintWriter out, long total, boolean terminal, java.util.function.LongSupplier clock) {
    this.out = out;
    this.total = total;
    this.terminal = terminal;
    this.every = Math.max(1, total / 20);
    this.clock = clock;
  }

  /**
   * The time left, from the mean pace since the first update (which may include warm-up, so the
   * first update gives none): {@code " eta 1m05s"}, or empty.
   */
  private String eta(long done) {
    long now = clock.getAsLong();
    if (firstDone < 0) {
      firstDone = done;
      firstNanos = now;
      return "";
    }
    if (done <= firstDone || done >= total) {
      return "";
    }
    double perStep = (now - firstNanos) / 1e9 / (done - firstDone);
    long seconds = Math.round(perStep * (total - done));
    return seconds >= 3600 ? String.format(Locale.ROOT, " eta %dh%02dm", seconds / 3600, seconds % 3600 / 60)
        : seconds >= 60 ? String.format(Locale.ROOT, " eta %dm%02ds", seconds / 60, seconds % 60)
        : String.format(Locale.ROOT, " eta %ds", seconds);
  }

  /** Shows {@code done} of {@code total} with a status text. */
  void update(long done, String status) {
    String eta = eta(done);
    if (!terminal && done != total && done % every != 0 && done != 1) {
      return;
    }
    int filled = (int) (WIDTH * done / Math.max(1, total));
    String line = String.format(Locale.ROOT, "[%s%s] %d/%d %s%s",
        "#".repeat(filled), ".".repeat(WIDTH - filled), done, total, status, eta);
    if (terminal) {
      out.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())));
      lastLength = line.length();
      if (done == total) {
        out.println();
      }
    } else {
      out.println(line);
    }
    out.flush();
  }

  /** Prints {@code line} on its own line (a bar being redrawn continues below it). */
  void note(String line) {
    if (terminal && lastLength > 0) {
      out.print("\r" + " ".repeat(lastLength) + "\r");
      lastLength = 0;
    }
    out.println(line);
    out.flush();
  }

  /** Ends an unfinished bar's line (on failure), so the next message starts on its own line. */
  void abort() {
    if (terminal && lastLength > 0) {
      out.println();
      out.flush();
    }
  }
}
