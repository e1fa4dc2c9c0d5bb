package io.tandem.model;

import io.tandem.kernels.Backend;
import io.tandem.model.data.TokenBatch;
import java.util.Arrays;

/**
 * Autoregressive sampling from a whole model: each new token is drawn from the logits of the
 * last position, given the last {@code seqLen} tokens as context. {@code temperature} 0 is greedy
 * (arg-max); otherwise logits are divided by it, cut to the {@code topK} largest (0 = all) and
 * softmaxed. Draws come from a {@link SplitMix64} keyed by the seed and the token's position, so
 * a seed gives the same text on every run and backend that computes the same logits.
 */
public final class Sampler {
  /** Microbatch id used for sampling passes (never used by training or evaluation). */
  public static final int SAMPLE_MICROBATCH = -2;

  private final Model model;
  private final Backend backend;

  public Sampler(Model model, Backend backend) {
    this.model = model;
    this.backend = backend;
  }

  /** Sampling settings; {@code temperature >= 0}, {@code topK >= 0}. */
  public record Settings(int tokens, long seed, double temperature, int topK) {
    public Settings {
      if (tokens < 0) {
        throw new IllegalArgumentException("tokens must be >= 0, got " + tokens);
      }
      if (!(temperature >= 0) || Double.isInfinite(temperature)) {
        throw new IllegalArgumentException("temperature must be a number >= 0, got " + temperature);
      }
      if (topK < 0) {
        throw new IllegalArgumentException("top-k must be >= 0 (0 = no cut), got " + topK);
      }
    }
  }

  /** The {@code settings.tokens()} tokens that follow {@code prompt} (token ids, at least one). */
  public int[] generate(int[] prompt, Settings settings) {
    if (prompt.length == 0) {
      throw new IllegalArgumentException("the prompt must hold at least one token");
    }
    int vocab = model.spec().vocab();
    for (int t : prompt) {
      if (t < 0 || t >= vocab) {
        throw new IllegalArgumentException("prompt token " + t + " is outside the vocabulary 0.." + (vocab - 1));
      }
    }
    int window = model.spec().seqLen();
    int[] text = Arrays.copyOf(prompt, prompt.length + settings.tokens());
    int length = prompt.length;
    int[] out = new int[settings.tokens()];
    for (int i = 0; i < out.length; i++) {
      int from = Math.max(0, length - window);
      int[] context = Arrays.copyOfRange(text, from, length);
      float[] last = lastLogits(context, vocab);
      int next = pick(last, settings, SplitMix64.keyed(settings.seed(), length).nextDouble());
      out[i] = next;
      text[length++] = next;
    }
    return out;
  }

  private float[] lastLogits(int[] context, int vocab) {
    int[] targets = new int[context.length];
    Arrays.fill(targets, -1);
    Microbatch mb = Microbatch.upload(backend, SAMPLE_MICROBATCH,
        new TokenBatch(1, context.length, context, targets), 1);
    try {
      float[] logits = model.logits(mb);
      return Arrays.copyOfRange(logits, (context.length - 1) * vocab, context.length * vocab);
    } finally {
      mb.free(backend);
    }
  }

  /** The token chosen from {@code logits} with the uniform draw {@code u} in [0, 1). */
  static int pick(float[] logits, Settings settings, double u) {
    int best = 0;
    for (int v = 1; v < logits.length; v++) {
      if (logits[v] > logits[best]) {
        best = v;
      }
    }
    if (settings.temperature() == 0) {
      return best;
    }
    Integer[] order = new Integer[logits.length];
    for (int v = 0; v < order.length; v++) {
      order[v] = v;
    }
    Arrays.sort(order, (a, b) -> logits[a] != logits[b] ? Float.compare(logits[b], logits[a]) : Integer.compare(a, b));
    int keep = settings.topK() == 0 ? order.length : Math.min(settings.topK(), order.length);
    double[] weights = new double[keep];
    double total = 0;
    for (int i = 0; i < keep; i++) {
      weights[i] = Math.exp((logits[order[i]] - logits[best]) / settings.temperature());
      total += weights[i];
    }
    double target = u * total;
    double acc = 0;
    for (int i = 0; i < keep; i++) {
      acc += weights[i];
      if (target < acc) {
        return order[i];
      }
    }
    return order[keep - 1];
  }
}
