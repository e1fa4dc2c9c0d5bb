package io.tandem.cli;

import io.tandem.actors.worker.ModelComputeProvider;
import io.tandem.actors.checkpoint.CheckpointException;
import io.tandem.actors.checkpoint.SavedModel;
import io.tandem.model.Evaluation;
import io.tandem.model.data.AdditionTask;
import io.tandem.model.data.Dataset;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tandem eval}: held-out loss and perplexity of a trained model on its dataset's validation split. */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = "Held-out loss and perplexity of a checkpoint on its dataset's validation split.")
public final class EvalCommand implements Callable<Integer> {
  @Option(names = "--checkpoint", required = true, description = "checkpoint directory (or one step-N directory in it)")
  Path checkpoint;

  @Option(names = "--step", defaultValue = "-1", description = "checkpoint step (default: the newest valid)")
  long step;

  @Option(names = "--batches", defaultValue = "8", description = "validation batches (default: ${DEFAULT-VALUE})")
  int batches;

  @Option(names = "--batch-size", defaultValue = "8", description = "sequences per batch (default: ${DEFAULT-VALUE})")
  int batchSize;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    if (batches < 1 || batchSize < 1) {
      throw new IllegalArgumentException("--batches and --batch-size must be >= 1, got " + batches + " and " + batchSize);
    }
    try (SavedModel model = SavedModel.load(checkpoint, step)) {
      Dataset data = ModelComputeProvider.dataset(model.spec().getDataset());
      double loss = Evaluation.validationLoss(model.model(), model.backend(), data, batches, batchSize);
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
          "eval step=%d dataset=%s batches=%d loss=%.6f perplexity=%.4f", model.checkpoint().step(), data.name(),
          batches, loss, Math.exp(loss)));
      if (data instanceof AdditionTask task) {
        line.append(String.format(Locale.ROOT, " accuracy=%.4f",
            Evaluation.additionAccuracy(model.model(), model.backend(), task, batches, batchSize)));
      }
      spec.commandLine().getOut().println(line);
      spec.commandLine().getOut().flush();
      return 0;
    } catch (CheckpointException e) {
      throw new UserException(e.getMessage());
    }
  }
}
