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
  private int lastLength;

  ProgressBar(PrintWriter out, long total, boolean terminal) {
    this.out = out;
    this.total = total;
    this.terminal = terminal;
    this.every = Math.max(1, total / 20);
  }

  /** Shows {@code done} of {@code total} with a status text. */
  void update(long done, String status) {
    if (!terminal && done != total && done % every != 0 && done != 1) {
      return;
    }
    int filled = (int) (WIDTH * done / Math.max(1, total));
    String line = String.format(Locale.ROOT, "[%s%s] %d/%d %s",
        "#".repeat(filled), ".".repeat(WIDTH - filled), done, total, status);
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
