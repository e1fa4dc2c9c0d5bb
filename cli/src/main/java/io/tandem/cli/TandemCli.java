package io.tandem.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code tandem} command. User mistakes (bad options, bad files, unsupported specs) end
 * with one line on stderr and exit code 2; anything else is a bug and keeps its stack trace.
 */
@Command(
    name = "tandem",
    mixinStandardHelpOptions = true,
    version = "tandem 0.1.0",
    description = "Pipeline-parallel training with controllable memory.",
    subcommands = {
      TrainCommand.class,
      ScheduleCommand.class,
      PlanCommand.class,
      ProfileCommand.class,
      BenchCommand.class,
      DemoCommand.class,
      CoordinatorCommand.class,
      WorkerCommand.class,
      AdminCommand.class,
      SubmitCommand.class,
      CheckpointCommand.class,
      GenerateCommand.class,
      EvalCommand.class,
      JobsCommand.class,
      LogsCommand.class,
      CommandLine.HelpCommand.class
    })
public final class TandemCli implements Runnable {
  /** Exit code for user errors: bad arguments, bad input files, unsupported requests. */
  public static final int USER_ERROR = 2;

  /** Exit code for a failure inside tandem (a bug): the process ends instead of hanging on live threads. */
  public static final int INTERNAL_ERROR = 70;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  public static void main(String[] args) {
    org.slf4j.LoggerFactory.getILoggerFactory(); // initialize logging before any thread logs
    PrintWriter err = new PrintWriter(System.err, true);
    int code;
    try {
      code = run(args, new PrintWriter(System.out, true), err);
    } catch (Throwable t) { // a bug, not a user mistake: the trace, then exit (Pekko's threads would keep the JVM up)
      err.println("tandem: internal error: " + t);
      t.printStackTrace(err);
      err.flush();
      code = INTERNAL_ERROR;
    }
    System.exit(code);
  }

  /** Runs the command line with the given streams and returns the exit code (for tests). */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cmd = new CommandLine(new TandemCli());
    cmd.setOut(out);
    cmd.setErr(err);
    cmd.setParameterExceptionHandler((ex, arguments) -> {
      err.println("tandem: " + ex.getMessage());
      err.println("try: " + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help");
      err.flush();
      return USER_ERROR;
    });
    cmd.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
      if (ex instanceof IllegalArgumentException || ex instanceof UserException
          || ex instanceof java.io.UncheckedIOException) {
        err.println("tandem: " + ex.getMessage());
        err.flush();
        return USER_ERROR;
      }
      throw ex;
    });
    int code = cmd.execute(args);
    out.flush();
    err.flush();
    return code;
  }
}
