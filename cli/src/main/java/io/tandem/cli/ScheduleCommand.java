package io.tandem.cli;

import picocli.CommandLine.Command;

/** {@code tandem schedule ...}: list, show, export, validate, compare pipeline schedules. */
@Command(name = "schedule", mixinStandardHelpOptions = true,
    description = "Generate, validate, simulate and draw pipeline schedules.")
public final class ScheduleCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
