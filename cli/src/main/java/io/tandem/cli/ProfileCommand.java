package io.tandem.cli;

import io.tandem.kernels.Backend;
import io.tandem.kernels.CpuBackend;
import io.tandem.kernels.CudaAvailability;
import io.tandem.kernels.CudaBackend;
import io.tandem.model.ModelSpec;
import io.tandem.planner.LayerProfile;
import io.tandem.planner.ModelProfile;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tandem profile}: measures each layer of a model (preset or shape) and writes the planner's profile JSON. */
@Command(name = "profile", mixinStandardHelpOptions = true,
    description = "Time each layer's F/B/W on a backend and write a profile for 'tandem plan --profile'.")
public final class ProfileCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "MODEL",
      description = "model preset (gpt-tiny, gpt-mini, mlp-small) or shape, e.g. gpt:layers=2,hidden=32,heads=2,seq=16,vocab=256")
  String model;

  @Option(names = "--backend", defaultValue = "cpu", description = "cpu or cuda (default: ${DEFAULT-VALUE})")
  String backend;

  @Option(names = "--microbatch-size", defaultValue = "4", description = "sequences per microbatch (default: ${DEFAULT-VALUE})")
  int microbatchSize;

  @Option(names = "--repeat", defaultValue = "3", description = "timed runs per layer, least kept (default: ${DEFAULT-VALUE})")
  int repeat;

  @Option(names = "--threads", defaultValue = "0", description = "cpu: threads (default: all cores)")
  int threads;

  @Option(names = "--seed", defaultValue = "1", description = "weights and data seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--out", required = true, paramLabel = "FILE", description = "profile JSON to write")
  Path out;

  @Override
  public void run() {
    ModelSpec modelSpec = CliModels.parse(model);
    OutputPaths.checkFile(out, "--out");
    String name = backend.toLowerCase(Locale.ROOT);
    ModelProfile profile;
    try (Backend b = open(name)) {
      profile = LayerProfiler.measure(modelSpec, b, name, microbatchSize, repeat, seed);
    }
    profile.write(out);
    PrintWriter w = spec.commandLine().getOut();
    w.printf(Locale.ROOT, "%s on %s, microbatch %d: %d layers -> %s%n", modelSpec.name(), name, microbatchSize,
        profile.numLayers(), out);
    w.printf(Locale.ROOT, "%-12s %9s %9s %9s %12s %12s%n", "layer", "F ms", "B ms", "W ms", "params B", "stash B");
    for (LayerProfile l : profile.layers()) {
      w.printf(Locale.ROOT, "%-12s %9.3f %9.3f %9.3f %12d %12d%n", l.name(), l.forwardMs(), l.backwardInputMs(),
          l.backwardWeightMs(), l.parameterBytes(), l.activationBytesAfterForward());
    }
    w.flush();
  }

  private Backend open(String name) {
    if (threads < 0) {
      throw new IllegalArgumentException("--threads must be >= 0, got " + threads);
    }
    return switch (name) {
      case "cpu" -> CpuBackend.create(threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
      case "cuda" -> {
        CudaAvailability cuda = CudaAvailability.probe();
        if (!cuda.available()) {
          throw new IllegalArgumentException("--backend cuda: " + cuda.reason() + "; use --backend cpu");
        }
        yield CudaBackend.open(0);
      }
      default -> throw new IllegalArgumentException("--backend must be cpu or cuda, got '" + backend + "'");
    };
  }
}
