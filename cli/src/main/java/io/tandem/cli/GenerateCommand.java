package io.tandem.cli;

import io.tandem.actors.checkpoint.CheckpointException;
import io.tandem.actors.checkpoint.SavedModel;
import io.tandem.model.Sampler;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tandem generate}: text sampled from a trained model's checkpoint (byte-level tokens). */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = "Sample text from a trained model: the prompt, then --tokens more bytes.")
public final class GenerateCommand implements Callable<Integer> {
  @Option(names = "--checkpoint", required = true, description = "checkpoint directory (or one step-N directory in it)")
  Path checkpoint;

  @Option(names = "--step", defaultValue = "-1", description = "checkpoint step (default: the newest valid)")
  long step;

  @Option(names = "--prompt", required = true, description = "text to continue (UTF-8 bytes are the tokens)")
  String prompt;

  @Option(names = "--tokens", defaultValue = "64", description = "tokens (bytes) to generate (default: ${DEFAULT-VALUE})")
  int tokens;

  @Option(names = "--seed", defaultValue = "1", description = "sampling seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--temperature", defaultValue = "0.8", description = "0 = greedy (default: ${DEFAULT-VALUE})")
  double temperature;

  @Option(names = "--top-k", defaultValue = "0", description = "sample among the K likeliest tokens, 0 = all (default: ${DEFAULT-VALUE})")
  int topK;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    Sampler.Settings settings = new Sampler.Settings(tokens, seed, temperature, topK);
    byte[] bytes = prompt.getBytes(StandardCharsets.UTF_8);
    if (bytes.length == 0) {
      throw new IllegalArgumentException("--prompt must not be empty");
    }
    try (SavedModel model = SavedModel.load(checkpoint, step)) {
      int vocab = model.modelSpec().vocab();
      if (vocab < 256) {
        throw new IllegalArgumentException("model " + model.spec().getModel() + " has a vocabulary of " + vocab
            + " tokens, not bytes: it cannot continue text");
      }
      int[] ids = new int[bytes.length];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = bytes[i] & 0xff;
      }
      int[] out = new Sampler(model.model(), model.backend()).generate(ids, settings);
      byte[] text = new byte[out.length];
      for (int i = 0; i < out.length; i++) {
        text[i] = (byte) out[i];
      }
      spec.commandLine().getOut().println(prompt + new String(text, StandardCharsets.UTF_8));
      spec.commandLine().getOut().flush();
      return 0;
    } catch (CheckpointException e) {
      throw new UserException(e.getMessage());
    }
  }
}
