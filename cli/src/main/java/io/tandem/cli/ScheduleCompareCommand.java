package io.tandem.cli;

import io.tandem.schedule.OneFOneB;
import io.tandem.schedule.Schedule;
import io.tandem.schedule.ScheduleGenerator;
import io.tandem.schedule.ScheduleRegistry;
import io.tandem.schedule.ScheduleSpec;
import io.tandem.schedule.SimulationResult;
import io.tandem.schedule.TextTimeline;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code tandem schedule compare -p P -m M}: one table with every schedule's makespan, bubble and
 * peak activation (max and per device), relative to 1F1B. A generator that refuses the spec shows
 * its reason in its row; with {@code --memory-limit} rows over the limit are marked.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
    description = "Compare every schedule on one spec: makespan, bubble, peak activation, relative to 1F1B.")
final class ScheduleCompareCommand implements Runnable {
  @Spec CommandSpec spec;
  @Mixin ScheduleSpecOptions specOptions;
  @Mixin MemoryOptions memory;

  @Override
  public void run() {
    ScheduleSpec s = specOptions.spec(ScheduleSize.MAX_COMPARE_OPS, "schedule compare");
    SimulationResult base = memory.simulate(new OneFOneB().generate(s));
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"schedule", "makespan", "bubble", "peak", "vs 1f1b time", "vs 1f1b peak",
        "peak per device"});
    for (ScheduleGenerator g : ScheduleRegistry.all()) {
      Schedule schedule;
      SimulationResult r;
      try {
        schedule = specOptions.generator(g.name()).generate(s);
        r = memory.simulate(schedule);
      } catch (IllegalArgumentException e) {
        rows.add(new String[] {g.name(), "refused: " + e.getMessage()});
        continue;
      }
      String peak = TextTimeline.num(r.maxPeakActivation());
      if (s.memoryLimit().isPresent() && r.maxPeakActivation() > s.memoryLimit().getAsDouble() + 1e-9) {
        peak += " (over limit)";
      }
      rows.add(new String[] {
        g.name(),
        TextTimeline.num(r.makespan()),
        String.format(Locale.ROOT, "%.4f", r.bubble()),
        peak,
        ratio(r.makespan(), base.makespan()),
        ratio(r.maxPeakActivation(), base.maxPeakActivation()),
        TextTimeline.list(r.peakActivation())
      });
    }
    PrintWriter out = spec.commandLine().getOut();
    out.printf(Locale.ROOT, "p=%d m=%d costs F=%s B=%s W=%s comm=%s%s%n", s.devices(), s.microbatches(),
        TextTimeline.num(s.costs().f()), TextTimeline.num(s.costs().b()), TextTimeline.num(s.costs().w()),
        TextTimeline.num(s.costs().comm()),
        memory.bRelease > 0 ? ", B frees " + TextTimeline.num(memory.bRelease) + " of an activation" : "");
    out.print(table(rows));
  }

  private static String ratio(double value, double base) {
    return base > 0 ? String.format(Locale.ROOT, "%.3f", value / base) : "-";
  }

  /** Left-aligned columns; a two-cell row (a refusal) spans the rest of the line. */
  static String table(List<String[]> rows) {
    int cols = rows.get(0).length;
    int[] width = new int[cols];
    for (String[] row : rows) {
      if (row.length == cols) {
        for (int c = 0; c < cols; c++) {
          width[c] = Math.max(width[c], row[c].length());
        }
      }
    }
    StringBuilder b = new StringBuilder();
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < row.length; c++) {
        line.append(c == row.length - 1 ? row[c] : String.format(Locale.ROOT, "%-" + width[c] + "s  ", row[c]));
      }
      b.append(line.toString().stripTrailing()).append('\n');
    }
    return b.toString();
  }
}
