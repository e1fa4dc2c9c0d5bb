package io.tandem.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tandem jobs}: the jobs of a cluster (short for {@code tandem admin --url U jobs}). */
@Command(name = "jobs", mixinStandardHelpOptions = true,
    description = "List the jobs of a cluster: id, status, step, loss, tokens/s, recoveries, nodes (where each runs).")
public final class JobsCommand implements Callable<Integer> {
  @picocli.CommandLine.Mixin AdminConnection admin;

  @Option(names = "--json", description = "print the API's JSON instead of a table")
  boolean json;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    List<String> args = new ArrayList<>(List.of("--url", admin.url));
    if (admin.token != null) {
      args.addAll(List.of("--token", admin.token));
    }
    if (admin.tokenFile != null) {
      args.addAll(List.of("--token-file", admin.tokenFile.toString()));
    }
    if (json) {
      args.add("--json");
    }
    args.add("jobs");
    CommandLine admin = new CommandLine(new AdminCommand());
    admin.setOut(spec.commandLine().getOut());
    admin.setErr(spec.commandLine().getErr());
    admin.setExecutionExceptionHandler(spec.commandLine().getExecutionExceptionHandler());
    admin.setParameterExceptionHandler(spec.commandLine().getParameterExceptionHandler());
    return admin.execute(args.toArray(String[]::new));
  }
}
