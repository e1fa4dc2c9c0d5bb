package io.tandem.cli;

import io.tandem.schedule.Schedule;
import io.tandem.schedule.ScheduleGenerator;
import io.tandem.schedule.ScheduleRegistry;
import io.tandem.schedule.ScheduleSpec;
import io.tandem.schedule.SimulationResult;
import io.tandem.schedule.Simulator;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tandem bench schedules}: wall time of generating and simulating every registered
 * schedule at one size (issue 2's benchmark, p=64, m=512). Each schedule runs {@code --repeat}
 * times in this JVM; the first run (cold: class loading, JIT) and the fastest are reported.
 */
@Command(name = "schedules", mixinStandardHelpOptions = true,
    description = "Time generation + simulation of every schedule (numbers for BENCHMARKS.md).")
public final class BenchSchedulesCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "-p", description = "devices (default ${DEFAULT-VALUE})", defaultValue = "64")
  int devices;

  @Option(names = "-m", description = "microbatches (default ${DEFAULT-VALUE})", defaultValue = "512")
  int microbatches;

  @Option(names = "--repeat", description = "runs per schedule (default ${DEFAULT-VALUE})", defaultValue = "3")
  int repeat;

  @Option(names = "--json", description = "one JSON object instead of a table")
  boolean json;

  /** One schedule's measurements (seconds), or why it was refused. */
  record Row(String name, double firstSeconds, double bestSeconds, double generateSeconds,
      double simulateSeconds, double bubble, double peak, String refused) {}

  @Override
  public void run() {
    if (repeat < 1) {
      throw new IllegalArgumentException("--repeat must be >= 1, got " + repeat);
    }
    ScheduleSize.check(devices, microbatches, 2, ScheduleSize.MAX_OPS, "bench schedules");
    ScheduleSpec base = ScheduleSpec.of(devices, microbatches);
    List<Row> rows = new ArrayList<>();
    for (ScheduleGenerator g : ScheduleRegistry.all()) {
      rows.add(measure(g, base));
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      printJson(out, rows);
    } else {
      printTable(out, rows);
    }
    out.flush();
  }

  private Row measure(ScheduleGenerator g, ScheduleSpec base) {
    double first = 0;
    double best = Double.POSITIVE_INFINITY;
    double bestGen = 0;
    double bestSim = 0;
    SimulationResult result = null;
    for (int i = 0; i < repeat; i++) {
      long t0 = System.nanoTime();
      Schedule s;
      try {
        s = g.generate(base);
      } catch (IllegalArgumentException e) {
        return new Row(g.name(), 0, 0, 0, 0, Double.NaN, Double.NaN, e.getMessage());
      }
      long t1 = System.nanoTime();
      result = Simulator.simulate(s);
      long t2 = System.nanoTime();
      double total = (t2 - t0) / 1e9;
      if (i == 0) {
        first = total;
      }
      if (total < best) {
        best = total;
        bestGen = (t1 - t0) / 1e9;
        bestSim = (t2 - t1) / 1e9;
      }
    }
    return new Row(g.name(), first, best, bestGen, bestSim, result.bubble(), result.maxPeakActivation(), null);
  }

  private void printTable(PrintWriter out, List<Row> rows) {
    out.printf(Locale.ROOT, "schedules: p=%d m=%d, %d run(s) each, %d CPU(s), Java %s%n", devices,
        microbatches, repeat, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
    out.printf(Locale.ROOT, "%-18s %9s %9s %9s %9s %8s %7s%n",
        "schedule", "first s", "best s", "gen s", "sim s", "bubble", "peak");
    for (Row r : rows) {
      if (r.refused() != null) {
        out.printf(Locale.ROOT, "%-18s refused: %s%n", r.name(), r.refused());
      } else {
        out.printf(Locale.ROOT, "%-18s %9.3f %9.3f %9.3f %9.3f %8.4f %7.1f%n", r.name(), r.firstSeconds(),
            r.bestSeconds(), r.generateSeconds(), r.simulateSeconds(), r.bubble(), r.peak());
      }
    }
  }

  private void printJson(PrintWriter out, List<Row> rows) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "{\"devices\":%d,\"microbatches\":%d,\"repeat\":%d,\"schedules\":[",
        devices, microbatches, repeat));
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      if (i > 0) {
        sb.append(',');
      }
      if (r.refused() != null) {
        sb.append(String.format(Locale.ROOT, "{\"name\":\"%s\",\"refused\":\"%s\"}", r.name(),
            r.refused().replace("\\", "\\\\").replace("\"", "\\\"")));
      } else {
        sb.append(String.format(Locale.ROOT,
            "{\"name\":\"%s\",\"firstSeconds\":%.6f,\"bestSeconds\":%.6f,\"generateSeconds\":%.6f,"
                + "\"simulateSeconds\":%.6f,\"bubble\":%.6f,\"peak\":%.3f}",
            r.name(), r.firstSeconds(), r.bestSeconds(), r.generateSeconds(), r.simulateSeconds(),
            r.bubble(), r.peak()));
      }
    }
    sb.append("]}");
    out.println(sb);
  }
}
