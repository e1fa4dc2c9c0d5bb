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
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tandem schedule bench -p 64 -m 512}: wall time to generate and to simulate every
 * schedule (best of {@code --repeat} runs after one warm-up), for BENCHMARKS.md.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Time generation and simulation of every schedule (numbers for BENCHMARKS.md).")
final class ScheduleBenchCommand implements Runnable {
  @Spec CommandSpec spec;
  @Mixin ScheduleSpecOptions specOptions;

  @Option(names = "--repeat", defaultValue = "5", paramLabel = "N", description = "Timed runs per schedule.")
  int repeat;

  @Override
  public void run() {
    if (repeat < 1) {
      throw new UserException("--repeat must be >= 1, got " + repeat);
    }
    ScheduleSpec s = specOptions.spec();
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"schedule", "ops", "generate ms", "simulate ms", "total ms", "bubble"});
    for (ScheduleGenerator g : ScheduleRegistry.all()) {
      double bestGen = Double.MAX_VALUE;
      double bestSim = Double.MAX_VALUE;
      double bestTotal = Double.MAX_VALUE;
      Schedule schedule = null;
      SimulationResult r = null;
      try {
        for (int i = 0; i <= repeat; i++) {
          long t0 = System.nanoTime();
          schedule = g.generate(s);
          long t1 = System.nanoTime();
          r = Simulator.simulate(schedule);
          long t2 = System.nanoTime();
          if (i > 0) {
            bestGen = Math.min(bestGen, (t1 - t0) / 1e6);
            bestSim = Math.min(bestSim, (t2 - t1) / 1e6);
            bestTotal = Math.min(bestTotal, (t2 - t0) / 1e6);
          }
        }
      } catch (IllegalArgumentException e) {
        rows.add(new String[] {g.name(), "refused: " + e.getMessage()});
        continue;
      }
      int ops = schedule.ops().stream().mapToInt(List::size).sum();
      rows.add(new String[] {g.name(), String.valueOf(ops), ms(bestGen), ms(bestSim), ms(bestTotal),
          String.format(Locale.ROOT, "%.4f", r.bubble())});
    }
    PrintWriter out = spec.commandLine().getOut();
    out.printf(Locale.ROOT, "p=%d m=%d, best of %d runs after a warm-up%n", s.devices(), s.microbatches(), repeat);
    out.print(ScheduleCompareCommand.table(rows));
  }

  private static String ms(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }
}
