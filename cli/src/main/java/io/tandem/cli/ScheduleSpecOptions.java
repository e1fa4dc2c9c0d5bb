package io.tandem.cli;

import io.tandem.schedule.AutoV;
import io.tandem.schedule.OpCosts;
import io.tandem.schedule.ScheduleGenerator;
import io.tandem.schedule.ScheduleRegistry;
import io.tandem.schedule.ScheduleSpec;
import io.tandem.schedule.SearchOptions;
import java.util.OptionalDouble;
import picocli.CommandLine.Option;

/**
 * The options that make a {@link ScheduleSpec} ({@code -p -m --chunks --costs --memory-limit}) and
 * auto's search knobs ({@code --seed --search-budget --exact-time}).
 */
final class ScheduleSpecOptions {
  /** The CLI's search budget: larger than the library default, still seconds at p=16, m=64. */
  static final long CLI_SEARCH_BUDGET = 20_000_000L;

  /**
   * The CLI's exact-search time, in CP-SAT deterministic seconds: a few seconds of one idle core,
   * well under a minute on a loaded 2-core machine (the wall-clock guard is 40 s).
   */
  static final double CLI_EXACT_TIME = 2.0;

  @Option(names = {"-p", "--devices"}, required = true, paramLabel = "P", description = "Pipeline devices.")
  int devices;

  @Option(names = {"-m", "--microbatches"}, required = true, paramLabel = "M",
      description = "Microbatches per step.")
  int microbatches;

  @Option(names = "--chunks", paramLabel = "C", defaultValue = "1",
      description = "Chunks per device for generators with a free chunk count (interleaved-1f1b: 1 means its"
          + " default 2). Default: ${DEFAULT-VALUE}.")
  int chunks;

  @Option(names = "--costs", paramLabel = "F=1,B=1,W=1,comm=0", defaultValue = "F=1,B=1,W=1,comm=0",
      description = "Op costs for one microbatch through 1/p of the model. Default: ${DEFAULT-VALUE}.")
  String costs;

  @Option(names = "--memory-limit", paramLabel = "X",
      description = "Peak activation limit per device, in units of one microbatch's activations for 1/p of"
          + " the model (read by auto; other schedules are refused when they exceed it).")
  Double memoryLimit;

  @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
      description = "Seed of auto's schedule search (same seed, same schedule). Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--search-budget", paramLabel = "OPS", defaultValue = "" + CLI_SEARCH_BUDGET,
      description = "Work limit of auto's search, in op timings (each try re-times every op; 0 = no search)."
          + " Default: ${DEFAULT-VALUE}.")
  long searchBudget;

  @Option(names = "--exact-time", paramLabel = "S", defaultValue = "" + CLI_EXACT_TIME,
      description = "Work limit of auto's exact (CP-SAT) search, in deterministic seconds (about one"
          + " second of an idle core each; 0 = off). Default: ${DEFAULT-VALUE}.")
  double exactTime;

  /** The generator called {@code name}; {@code auto} gets this command's seed and budget. */
  ScheduleGenerator generator(String name) {
    ScheduleGenerator g = ScheduleRegistry.byName(name);
    return g.name().equals(AutoV.NAME) ? new AutoV(searchOptions()) : g;
  }

  SearchOptions searchOptions() {
    if (searchBudget < 0) {
      throw new UserException("--search-budget must be >= 0 (0 turns the search off), got " + searchBudget);
    }
    if (!(exactTime >= 0) || Double.isInfinite(exactTime)) {
      throw new UserException("--exact-time must be a number >= 0 (0 turns the exact search off), got " + exactTime);
    }
    return new SearchOptions(seed, searchBudget, exactTime);
  }

  /** The spec, refused when it is over {@code maxOps} (see {@link ScheduleSize}) for {@code command}. */
  ScheduleSpec spec(long maxOps, String command) {
    ScheduleSize.check(devices, microbatches, chunks, maxOps, command);
    return spec();
  }

  ScheduleSpec spec() {
    return new ScheduleSpec(devices, microbatches, chunks, OpCosts.parse(costs), null,
        memoryLimit == null ? OptionalDouble.empty() : OptionalDouble.of(memoryLimit));
  }
}
