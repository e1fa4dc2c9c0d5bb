package io.tandem.cli;

import picocli.CommandLine.Command;

/** {@code tandem demo}: the main job on the embedded default. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Run the demo: the main job on the embedded default.")
public final class DemoCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().getOut().println("demo: not built yet");
  }
}
