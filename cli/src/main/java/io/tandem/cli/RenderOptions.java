package io.tandem.cli;

import io.tandem.schedule.ChromeTrace;
import io.tandem.schedule.Schedule;
import io.tandem.schedule.SimulationResult;
import io.tandem.schedule.SvgTimeline;
import io.tandem.schedule.TextTimeline;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** How a simulated schedule is shown: text timeline on stdout, optional SVG and Chrome-trace files. */
final class RenderOptions {
  enum Color { AUTO, ALWAYS, NEVER }

  @Option(names = "--svg", paramLabel = "FILE", description = "Also write the timeline as SVG to FILE.")
  Path svg;

  @Option(names = "--trace", paramLabel = "FILE",
      description = "Also write a Chrome-trace JSON to FILE (open it in Perfetto).")
  Path trace;

  @Option(names = "--color", paramLabel = "WHEN", defaultValue = "AUTO",
      description = "ANSI colours: ${COMPLETION-CANDIDATES} (auto: only when stdout is a terminal).")
  Color color;

  @Option(names = "--width", paramLabel = "COLS", defaultValue = "0",
      description = "Squeeze the text timeline into COLS columns (0: as wide as the labels need).")
  int width;

  /** Checks, before any work, that the asked-for files can be written. */
  void checkOutputs() {
    OutputPaths.checkFile(svg, "--svg");
    OutputPaths.checkFile(trace, "--trace");
  }

  void show(Schedule s, SimulationResult r, PrintWriter out) {
    boolean ansi = color == Color.ALWAYS || (color == Color.AUTO && System.console() != null);
    out.print(TextTimeline.render(s, r, ansi, width));
    if (svg != null) {
      write(svg, SvgTimeline.render(s, r));
      out.println("wrote " + svg);
    }
    if (trace != null) {
      write(trace, ChromeTrace.render(s, r));
      out.println("wrote " + trace);
    }
  }

  private static void write(Path file, String content) {
    try {
      Files.writeString(file, content);
    } catch (IOException e) {
      throw new UserException("cannot write " + file + ": " + e.getMessage());
    }
  }
}
