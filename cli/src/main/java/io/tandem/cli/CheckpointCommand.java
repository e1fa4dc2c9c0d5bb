package io.tandem.cli;

import io.tandem.actors.checkpoint.Checkpoint;
import io.tandem.actors.checkpoint.CheckpointException;
import io.tandem.actors.checkpoint.CheckpointStore;
import io.tandem.actors.checkpoint.SavedModel;
import io.tandem.model.Safetensors;
import io.tandem.proto.CheckpointFile;
import io.tandem.proto.CheckpointManifest;
import io.tandem.proto.JobSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tandem checkpoint list|verify|export}: what a checkpoint directory holds, checked, and exported. */
@Command(name = "checkpoint", mixinStandardHelpOptions = true,
    description = "List, verify and export the checkpoints a job wrote (--checkpoint-dir).",
    subcommands = {CheckpointCommand.ListCommand.class, CheckpointCommand.VerifyCommand.class,
        CheckpointCommand.ExportCommand.class})
public final class CheckpointCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Every committed checkpoint: step, model, schedule, layers and bytes, newest first. */
  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the committed checkpoints of DIR.")
  static final class ListCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "checkpoint directory (--checkpoint-dir of the job)")
    Path dir;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      if (!Files.isDirectory(dir)) {
        throw new IllegalArgumentException("checkpoint directory " + dir + " does not exist");
      }
      CheckpointStore store = new CheckpointStore(dir, 1);
      PrintWriter out = spec.commandLine().getOut();
      if (store.committedSteps().isEmpty()) {
        throw new IllegalArgumentException(dir + " holds no committed checkpoint (no step-N/manifest.pb)");
      }
      out.printf(Locale.ROOT, "%-8s %-40s %-10s %7s %12s  %s%n", "step", "model", "schedule", "layers", "bytes",
          "written");
      for (long step : store.committedSteps()) {
        try {
          CheckpointManifest m = store.open(step).manifest();
          long bytes = m.getFilesList().stream().mapToLong(CheckpointFile::getBytes).sum();
          String model = m.hasSpec() ? modelLine(m.getSpec()) : "(not recorded)";
          out.printf(Locale.ROOT, "%-8d %-40s %-10s %7d %12d  %s%n", step, model, m.getPlan().getSchedule(),
              m.getLayers(), bytes, Instant.ofEpochMilli(m.getCreatedUnixMs()));
        } catch (CheckpointException e) {
          out.printf(Locale.ROOT, "%-8d unreadable: %s%n", step, e.getMessage());
        }
      }
      out.flush();
      return 0;
    }
  }

  static String modelLine(JobSpec s) {
    return s.getModel() + " (" + (s.getDataset().isEmpty() ? "corpus" : s.getDataset()) + ", seed " + s.getSeed() + ")";
  }

  /** Checks every file of one checkpoint and prints {@code weights-sha256=HEX}, the run's final hash. */
  @Command(name = "verify", mixinStandardHelpOptions = true,
      description = "Check every layer file of a checkpoint and print weights-sha256=HEX (equal to the run's final line).")
  static final class VerifyCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "checkpoint directory, or one step-N directory in it")
    Path dir;

    @Option(names = "--step", defaultValue = "-1", description = "step to verify (default: the newest valid)")
    long step;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      try (SavedModel model = SavedModel.load(dir, step)) {
        Checkpoint c = model.checkpoint();
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "ok: %s: step %d, %d layer files checked, model %s%n", c.dir(), c.step(),
            c.manifest().getFilesCount(), modelLine(model.spec()));
        out.println("weights-sha256=" + model.weightsSha256());
        out.flush();
        return 0;
      } catch (CheckpointException e) {
        throw new UserException(e.getMessage());
      }
    }
  }

  /** The weights as a safetensors file. */
  @Command(name = "export", mixinStandardHelpOptions = true,
      description = "Write a checkpoint's weights in a format other tools read (safetensors).")
  static final class ExportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "checkpoint directory, or one step-N directory in it")
    Path dir;

    @Parameters(index = "1", paramLabel = "OUT", description = "output file")
    Path out;

    @Option(names = "--format", defaultValue = "safetensors", description = "safetensors (default: ${DEFAULT-VALUE})")
    String format;

    @Option(names = "--step", defaultValue = "-1", description = "step to export (default: the newest valid)")
    long step;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      if (!format.equalsIgnoreCase("safetensors")) {
        throw new IllegalArgumentException("--format " + format + " is not supported; use safetensors");
      }
      Path parent = out.toAbsolutePath().getParent();
      if (parent != null && !Files.isDirectory(parent)) {
        throw new IllegalArgumentException("cannot write " + out + ": directory " + parent + " does not exist");
      }
      try (SavedModel model = SavedModel.load(dir, step)) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("tandem.model", model.spec().getModel());
        meta.put("tandem.step", Long.toString(model.checkpoint().step()));
        meta.put("tandem.weights-sha256", model.weightsSha256());
        Safetensors.write(model.model().parameters(), meta, out);
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s: %d tensors, %d parameters (step %d)%n", out,
            model.model().parameters().size(), model.model().parameterCount(), model.checkpoint().step());
        spec.commandLine().getOut().flush();
        return 0;
      } catch (CheckpointException e) {
        throw new UserException(e.getMessage());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write " + out + ": " + e.getMessage(), e);
      }
    }
  }
}
