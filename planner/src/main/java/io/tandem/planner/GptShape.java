package io.tandem.planner;

import java.util.Locale;

/**
 * The shape of a GPT-style decoder as Tandem builds it (embedding, {@code layers} pre-LN blocks,
 * final layer norm, LM head): {@code layers + 3} layers in all.
 *
 * @param layers transformer blocks
 * @param hidden model width
 * @param heads attention heads (divide {@code hidden})
 * @param seq tokens per sequence
 * @param vocab vocabulary size
 */
public record GptShape(int layers, int hidden, int heads, int seq, int vocab) {
  public GptShape {
    if (layers < 1 || hidden < 1 || heads < 1 || seq < 1 || vocab < 1) {
      throw new IllegalArgumentException("gpt shape needs layers, hidden, heads, seq and vocab >= 1, got layers="
          + layers + " hidden=" + hidden + " heads=" + heads + " seq=" + seq + " vocab=" + vocab);
    }
    if (hidden % heads != 0) {
      throw new IllegalArgumentException("gpt hidden " + hidden + " is not divisible by " + heads + " heads");
    }
  }

  /** Parses {@code gpt:layers=L,hidden=H,heads=A,seq=S,vocab=V} (every key required). */
  public static GptShape parse(String text) {
    String t = text == null ? "" : text.trim();
    if (!t.toLowerCase(Locale.ROOT).startsWith("gpt:")) {
      throw new IllegalArgumentException("--model must look like gpt:layers=L,hidden=H,heads=A,seq=S,vocab=V, got '"
          + text + "'");
    }
    Integer layers = null;
    Integer hidden = null;
    Integer heads = null;
    Integer seq = null;
    Integer vocab = null;
    for (String part : t.substring(4).split(",")) {
      String[] kv = part.split("=", -1);
      if (kv.length != 2) {
        throw new IllegalArgumentException("--model: bad part '" + part.trim() + "', expected KEY=VALUE");
      }
      int value;
      try {
        value = Integer.parseInt(kv[1].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--model: " + kv[0].trim() + " must be an integer, got '" + kv[1].trim() + "'");
      }
      switch (kv[0].trim().toLowerCase(Locale.ROOT)) {
        case "layers" -> layers = value;
        case "hidden" -> hidden = value;
        case "heads" -> heads = value;
        case "seq" -> seq = value;
        case "vocab" -> vocab = value;
        default -> throw new IllegalArgumentException(
            "--model: unknown key '" + kv[0].trim() + "'; use layers, hidden, heads, seq, vocab");
      }
    }
    if (layers == null || hidden == null || heads == null || seq == null || vocab == null) {
      throw new IllegalArgumentException("--model needs all of layers, hidden, heads, seq, vocab, got '" + text + "'");
    }
    return new GptShape(layers, hidden, heads, seq, vocab);
  }

  /** Trainable scalars of the whole model. */
  public long parameters() {
    long h = hidden;
    return (long) (vocab + seq) * h + layers * (12 * h * h + 13 * h) + 2 * h + (long) vocab * h;
  }

  @Override
  public String toString() {
    return "gpt:layers=" + layers + ",hidden=" + hidden + ",heads=" + heads + ",seq=" + seq + ",vocab=" + vocab;
  }
}
