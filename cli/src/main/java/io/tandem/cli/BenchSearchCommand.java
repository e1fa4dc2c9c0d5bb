package io.tandem.cli;

import io.tandem.schedule.OpCosts;
import io.tandem.schedule.ScheduleRegistry;
import io.tandem.schedule.ScheduleSpec;
import io.tandem.schedule.SearchBenchmark;
import io.tandem.schedule.SearchOptions;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tandem bench search}: issue 17's table, {@code auto} vs V-Min and V-Half at exactly their
 * peak activation, over p in {2, 4, 6, 8, 12, 16} and m in {p, 2p, 4p} (36 cells), with the count
 * of cells where auto's bubble is lower by more than 0.001 and auto's time per cell.
 */
@Command(name = "search", mixinStandardHelpOptions = true,
    description = "auto (with its search) vs V-Min / V-Half at their peak memory: the 36-cell table.")
public final class BenchSearchCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--costs", paramLabel = "F=1,B=1,W=1,comm=0", defaultValue = "F=1,B=1,W=1,comm=0",
      description = "Op costs for one microbatch through 1/p of the model. Default: ${DEFAULT-VALUE}.")
  String costs;

  @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "Search seed. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--search-budget", paramLabel = "OPS", defaultValue = "" + ScheduleSpecOptions.CLI_SEARCH_BUDGET,
      description = "Search work limit in op timings, as for schedule export. Default: ${DEFAULT-VALUE}.")
  long budget;

  @Option(names = "--exact-time", paramLabel = "S", defaultValue = "" + ScheduleSpecOptions.CLI_EXACT_TIME,
      description = "Exact (CP-SAT) search limit in deterministic seconds, as for schedule export (0 = off)."
          + " Default: ${DEFAULT-VALUE}.")
  double exactTime;

  @Option(names = "-p", paramLabel = "P", description = "One cell only: devices (with -m) instead of the grid.")
  Integer devices;

  @Option(names = "-m", paramLabel = "M", description = "One cell only: microbatches (with -p).")
  Integer microbatches;

  @Option(names = "--max-devices", paramLabel = "P", defaultValue = "16",
      description = "Only rows with p <= P (a quicker partial table). Default: ${DEFAULT-VALUE}.")
  int maxDevices;

  @Option(names = "--fixed", paramLabel = "NAMES", split = ",", defaultValue = "v-min,v-half",
      description = "Fixed schedules to measure auto against, at each one's peak. Default: ${DEFAULT-VALUE}.")
  List<String> fixedNames;

  @Option(names = "--profile", paramLabel = "FILE", description = "per-virtual-stage costs from 'tandem profile'"
      + " (the layers split evenly over 2p stages; --costs gives comm only); V-shape fixed schedules only")
  java.nio.file.Path profile;

  @Option(names = "--json", description = "one JSON object instead of a table")
  boolean json;

  @Override
  public void run() {
    if (budget < 0) {
      throw new UserException("--search-budget must be >= 0 (0 turns the search off), got " + budget);
    }
    if (!(exactTime >= 0) || Double.isInfinite(exactTime)) {
      throw new UserException("--exact-time must be a number >= 0 (0 turns the exact search off), got " + exactTime);
    }
    OpCosts c;
    try {
      c = OpCosts.parse(costs);
      fixedNames.forEach(ScheduleRegistry::byName);
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage());
    }
    SearchOptions options = new SearchOptions(seed, budget, exactTime);
    if ((devices == null) != (microbatches == null)) {
      throw new UserException("give -p and -m together (one cell), or neither (the 36-cell grid)");
    }
    io.tandem.planner.ModelProfile model = profile == null ? null : io.tandem.planner.ModelProfile.read(profile);
    List<int[]> grid = devices == null ? SearchBenchmark.grid() : List.of(new int[] {devices, microbatches});
    List<SearchBenchmark.Cell> cells = new ArrayList<>();
    for (int[] pm : grid) {
      if (pm[0] > maxDevices) {
        continue;
      }
      for (String fixed : fixedNames) {
        try {
          ScheduleSpec cell = ScheduleSpec.of(pm[0], pm[1]).withCosts(c);
          if (model != null) {
            if (ScheduleRegistry.generate(fixed, cell).chunksPerDevice() != 2) {
              throw new IllegalArgumentException("--profile compares V-shape schedules only (two chunks per device)");
            }
            cell = cell.withStageCosts(ProfileStageCosts.of(model, 2 * pm[0], c.comm()));
          }
          cells.add(SearchBenchmark.measure(cell, fixed, options));
        } catch (IllegalArgumentException e) {
          throw new UserException(fixed + " at p=" + pm[0] + " m=" + pm[1] + ": " + e.getMessage());
        }
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    long better = cells.stream().filter(SearchBenchmark.Cell::strictlyBetter).count();
    long worse = cells.stream().filter(x -> !x.neverWorse()).count();
    long proven = cells.stream().filter(SearchBenchmark.Cell::provenOptimal).count();
    double total = cells.stream().mapToDouble(SearchBenchmark.Cell::seconds).sum();
    double max = cells.stream().mapToDouble(SearchBenchmark.Cell::seconds).max().orElse(0);
    if (json) {
      StringBuilder b = new StringBuilder();
      b.append(String.format(Locale.ROOT, "{\"costs\":\"%s\",\"seed\":%d,\"searchBudget\":%d,\"exactTime\":%s,\"table\":[",
          profile == null ? costs : "profile " + profile + " (" + costs + ")", seed, budget, num(exactTime)));
      for (int i = 0; i < cells.size(); i++) {
        SearchBenchmark.Cell x = cells.get(i);
        b.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
            "{\"p\":%d,\"m\":%d,\"fixed\":\"%s\",\"peak\":%s,\"fixedBubble\":%.6f,\"autoBubble\":%.6f,"
                + "\"autoPeak\":%s,\"searchSeconds\":%.3f,\"exactSeconds\":%.3f,\"strictlyBetter\":%b,"
                + "\"provenOptimal\":%b}",
            x.p(), x.m(), x.fixed(), num(x.peak()), x.fixedBubble(), x.autoBubble(), num(x.autoPeak()),
            x.seconds(), x.exactSeconds(), x.strictlyBetter(), x.provenOptimal()));
      }
      b.append(String.format(Locale.ROOT, "],\"cells\":%d,\"strictlyBetter\":%d,\"worse\":%d,\"provenOptimal\":%d,"
          + "\"totalSeconds\":%.3f,\"maxSeconds\":%.3f}", cells.size(), better, worse, proven, total, max));
      out.println(b);
    } else {
      out.printf(Locale.ROOT, "auto vs fixed schedules at their peak, costs %s, seed %d, budget %d op timings,"
          + " exact time %s%n", profile == null ? costs : "profile " + profile + ", comm from " + costs, seed, budget,
          num(exactTime));
      out.printf(Locale.ROOT, "%4s %4s  %-7s %5s  %8s  %8s  %9s  %8s  %-6s  %s%n",
          "p", "m", "fixed", "peak", "fixed", "auto", "search s", "exact s", "", "auto optimal");
      for (SearchBenchmark.Cell x : cells) {
        out.printf(Locale.ROOT, "%4d %4d  %-7s %5s  %8.4f  %8.4f  %9.3f  %8.3f  %-6s  %s%n", x.p(), x.m(), x.fixed(),
            num(x.peak()), x.fixedBubble(), x.autoBubble(), x.seconds(), x.exactSeconds(),
            x.strictlyBetter() ? "better" : x.neverWorse() ? "same" : "WORSE", x.provenOptimal() ? "proven" : "");
      }
      out.printf(Locale.ROOT, "strictly better (bubble lower by > %.3f): %d of %d; worse: %d; auto proven optimal: %d;"
          + " search s total %.2f, max %.2f%n", SearchBenchmark.MARGIN, better, cells.size(), worse, proven, total, max);
    }
    out.flush();
  }

  private static String num(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }
}
