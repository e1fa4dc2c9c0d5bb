package io.tandem.planner;

/**
 * The dimensions the analytic profiler needs of a GPT-style decoder as Tandem builds it
 * (embedding, {@code layers} pre-LN blocks, final layer norm, LM head): {@code layers + 3} layers
 * in all. Shape strings ({@code gpt:layers=L,..}) are parsed by the model module's
 * {@code ModelShapes}, the one parser: this module depends on {@code schedule} only, so callers
 * that see both (the CLI's plan, the runtime's planner seam) convert its {@code GptSpec} to this.
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
