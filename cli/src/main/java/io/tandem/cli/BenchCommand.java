package io.tandem.cli;

import picocli.CommandLine.Command;

/** {@code tandem bench ...}: benchmarks whose numbers go into BENCHMARKS.md. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Run benchmarks (numbers for BENCHMARKS.md).",
    subcommands = {BenchRuntimeCommand.class, BenchDataplaneCommand.class, BenchAllreduceCommand.class, BenchGemmCommand.class,
      BenchSchedulesCommand.class, BenchSearchCommand.class, BenchPlannerCommand.class, GpuCheckCommand.class, BenchRecoveryCommand.class, BenchChaosCommand.class,
      BenchPlansCommand.class})
public final class BenchCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
