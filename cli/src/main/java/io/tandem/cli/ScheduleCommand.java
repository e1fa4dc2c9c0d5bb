package io.tandem.cli;

import io.tandem.schedule.AutoV;
import io.tandem.schedule.Schedule;
import io.tandem.schedule.ScheduleGenerator;
import io.tandem.schedule.ScheduleJson;
import io.tandem.schedule.ScheduleRegistry;
import io.tandem.schedule.ScheduleSpec;
import io.tandem.schedule.SearchOptions;
import io.tandem.schedule.SimulationResult;
import io.tandem.schedule.Simulator;
import io.tandem.schedule.TextTimeline;
import io.tandem.schedule.Validator;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tandem schedule ...}: list, show, export, import, validate, compare pipeline schedules. */
@Command(name = "schedule", mixinStandardHelpOptions = true,
    description = "Generate, validate, simulate and draw pipeline schedules.",
    subcommands = {
      ScheduleCommand.ListCmd.class,
      ScheduleCommand.ShowCmd.class,
      ScheduleCommand.ExportCmd.class,
      ScheduleCommand.ImportCmd.class,
      ScheduleCommand.ValidateCmd.class,
      ScheduleCompareCommand.class
    })
public final class ScheduleCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code tandem schedule list}. */
  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the schedule generators.")
  static final class ListCmd implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      PrintWriter out = spec.commandLine().getOut();
      for (ScheduleGenerator g : ScheduleRegistry.all()) {
        out.printf(Locale.ROOT, "%-18s %s%n", g.name(), g.description());
      }
    }
  }

  /** {@code tandem schedule show NAME -p P -m M ...}. */
  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "Generate a schedule, simulate it and draw its timeline.")
  static final class ShowCmd implements Runnable {
    @Spec CommandSpec spec;
    @Parameters(index = "0", paramLabel = "NAME", description = "Schedule name (see: tandem schedule list).")
    String name;
    @Mixin ScheduleSpecOptions specOptions;
    @Mixin RenderOptions render;
    @Mixin MemoryOptions memory;

    @Override
    public void run() {
      render.checkOutputs();
      ScheduleSpec s = specOptions.spec(ScheduleSize.MAX_OPS, "schedule show");
      Schedule schedule = specOptions.generator(name).generate(s);
      SimulationResult r = memory.simulate(schedule);
      ScheduleSupport.checkLimit(schedule, r, s.memoryLimit());
      render.show(schedule, r, spec.commandLine().getOut());
    }
  }

  /** {@code tandem schedule export NAME -p P -m M ...}: the JSON on stdout. */
  @Command(name = "export", mixinStandardHelpOptions = true,
      description = "Print a schedule as JSON (docs/ARCHITECTURE.md format), metrics filled by the simulator.")
  static final class ExportCmd implements Runnable {
    @Spec CommandSpec spec;
    @Parameters(index = "0", paramLabel = "NAME", description = "Schedule name (see: tandem schedule list).")
    String name;
    @Mixin ScheduleSpecOptions specOptions;

    @Override
    public void run() {
      ScheduleSpec s = specOptions.spec(ScheduleSize.MAX_OPS, "schedule export");
      ScheduleGenerator generator = specOptions.generator(name);
      long t0 = System.nanoTime();
      AutoV.Outcome outcome = generator instanceof AutoV auto ? auto.search(s) : null;
      Schedule schedule = outcome != null ? outcome.schedule() : generator.generate(s);
      double seconds = (System.nanoTime() - t0) / 1e9;
      SimulationResult r = Simulator.simulate(schedule);
      ScheduleSupport.checkLimit(schedule, r, s.memoryLimit());
      Map<String, Double> extra = outcome == null ? Map.of() : Map.of(
          "searchSeconds", Math.round(seconds * 1000) / 1000.0,
          "exactSearchSeconds", Math.round(outcome.exactSeconds() * 1000) / 1000.0,
          "makespanLowerBound", outcome.makespanLowerBound(),
          "provenOptimal", outcome.provenOptimal() ? 1.0 : 0.0);
      spec.commandLine().getOut().print(ScheduleJson.write(schedule, r, extra));
      if (outcome != null && outcome.exactStoppedByClock()) {
        SearchOptions search = specOptions.searchOptions();
        spec.commandLine().getErr().printf(Locale.ROOT, "tandem: the exact search stopped at its wall-clock guard"
            + " (%.0f s) before its --exact-time %s deterministic seconds: the same seed may give another schedule on"
            + " another run; a smaller --exact-time keeps it reproducible%n", search.exactWallSeconds(),
            search.exactTime());
      }
    }
  }

  /** {@code tandem schedule import FILE}: validate, simulate and draw a schedule JSON. */
  @Command(name = "import", mixinStandardHelpOptions = true,
      description = "Read a schedule JSON, validate it, simulate it and draw its timeline.")
  static final class ImportCmd implements Runnable {
    @Spec CommandSpec spec;
    @Parameters(index = "0", paramLabel = "FILE", description = "Schedule JSON file.")
    Path file;
    @Mixin RenderOptions render;
    @Mixin MemoryOptions memory;

    @Override
    public void run() {
      render.checkOutputs();
      Schedule schedule = ScheduleSupport.readFile(file);
      try {
        Validator.validate(schedule);
      } catch (IllegalArgumentException e) {
        throw new UserException(file + ": " + e.getMessage());
      }
      render.show(schedule, memory.simulate(schedule), spec.commandLine().getOut());
    }
  }

  /** {@code tandem schedule validate FILE}: ok and the metrics, or a one-line error (exit 2). */
  @Command(name = "validate", mixinStandardHelpOptions = true,
      description = "Check a schedule JSON; prints ok and its metrics, or the first problem (exit code 2).")
  static final class ValidateCmd implements Runnable {
    @Spec CommandSpec spec;
    @Parameters(index = "0", paramLabel = "FILE", description = "Schedule JSON file.")
    Path file;

    @Override
    public void run() {
      Schedule schedule = ScheduleSupport.readFile(file);
      try {
        Validator.validate(schedule);
      } catch (IllegalArgumentException e) {
        throw new UserException(file + ": " + e.getMessage());
      }
      SimulationResult r = Simulator.simulate(schedule);
      PrintWriter out = spec.commandLine().getOut();
      out.printf(Locale.ROOT, "ok: %s p=%d m=%d chunks=%d makespan %s bubble %.4f peak %s%n",
          schedule.name(), schedule.devices(), schedule.microbatches(), schedule.chunksPerDevice(),
          TextTimeline.num(r.makespan()), r.bubble(), TextTimeline.num(r.maxPeakActivation()));
    }
  }
}
