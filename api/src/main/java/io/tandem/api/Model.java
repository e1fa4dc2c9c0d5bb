package io.tandem.api;

import io.tandem.actors.checkpoint.SavedModel;
import io.tandem.model.Evaluation;
import io.tandem.model.Microbatch;
import io.tandem.model.Sampler;
import io.tandem.model.data.TokenBatch;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A trained model loaded from a job's checkpoint, on the CPU: run it forward over tokens, or
 * continue text. Tokens are bytes (vocabulary 256) for the GPT presets. Load it from a job's
 * {@link JobResult#checkpoint()} or any checkpoint directory; close it to free its memory.
 *
 * <pre>{@code
 * try (Model model = Model.load(result.checkpoint().orElseThrow())) {
 *   System.out.println(model.generate("The ", 40, 1, 0.8, 0));
 * }
 * }</pre>
 */
public final class Model implements AutoCloseable {
  private final SavedModel saved;

  private Model(SavedModel saved) {
    this.saved = saved;
  }

  /**
   * Loads the newest valid checkpoint in {@code dir} (a checkpoint directory or one {@code
   * step-N} directory), every layer checked against its SHA-256; a missing or corrupt checkpoint
   * is an {@link IllegalArgumentException} naming the file.
   */
  public static Model load(Path dir) {
    return load(dir, -1);
  }

  /** Loads the checkpoint of {@code step} in {@code dir} (-1: the newest valid). */
  public static Model load(Path dir, long step) {
    try {
      return new Model(SavedModel.load(dir, step));
    } catch (io.tandem.actors.checkpoint.CheckpointException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** The model's name as the job gave it (a preset or a shape). */
  public String name() {
    return saved.spec().getModel();
  }

  /** Steps the weights were trained for. */
  public long step() {
    return saved.checkpoint().step();
  }

  public long parameterCount() {
    return saved.model().parameterCount();
  }

  /** The longest token sequence the model takes. */
  public int contextLength() {
    return saved.modelSpec().seqLen();
  }

  /** The same hash as the job's final {@code weights-sha256=} line. */
  public String weightsSha256() {
    return saved.weightsSha256();
  }

  /**
   * Forward pass over one sequence of {@code tokens} (at most {@link #contextLength()}): the
   * logits of every position, {@code tokens.length x vocab}, row-major.
   */
  public float[] logits(int[] tokens) {
    if (tokens.length == 0 || tokens.length > contextLength()) {
      throw new IllegalArgumentException("a forward pass takes 1.." + contextLength() + " tokens, got " + tokens.length);
    }
    int[] targets = new int[tokens.length];
    Arrays.fill(targets, -1);
    Microbatch mb = Microbatch.upload(saved.backend(), Evaluation.EVAL_MICROBATCH,
        new TokenBatch(1, tokens.length, tokens.clone(), targets), 1);
    try {
      return saved.model().logits(mb);
    } finally {
      mb.free(saved.backend());
    }
  }

  /** The {@code tokens} tokens that follow {@code prompt}, sampled as {@code tandem generate} does. */
  public int[] generate(int[] prompt, int tokens, long seed, double temperature, int topK) {
    return new Sampler(saved.model(), saved.backend()).generate(prompt,
        new Sampler.Settings(tokens, seed, temperature, topK));
  }

  /** {@code prompt} followed by {@code tokens} sampled bytes, as text (UTF-8). */
  public String generate(String prompt, int tokens, long seed, double temperature, int topK) {
    byte[] bytes = prompt.getBytes(StandardCharsets.UTF_8);
    int[] ids = new int[bytes.length];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = bytes[i] & 0xff;
    }
    int[] out = generate(ids, tokens, seed, temperature, topK);
    byte[] text = new byte[out.length];
    for (int i = 0; i < out.length; i++) {
      text[i] = (byte) out[i];
    }
    return prompt + new String(text, StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    saved.close();
  }
}
