package io.tandem.schedule;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One compute op of a schedule: a kind applied to one microbatch on one virtual stage.
 *
 * <p>The device that runs it comes from the schedule's {@link Placement}, never from the op.
 * {@link #toString()} prints the short form {@code F3@5} (forward, microbatch 3, virtual stage 5)
 * and {@link #parse(String)} is its exact inverse.
 */
public record Op(OpKind kind, int microbatch, int virtualStage) {
  private static final Pattern SHORT_FORM = Pattern.compile("(BW|F|B|W)(\\d+)@(\\d+)");

  public Op {
    if (kind == null) {
      throw new IllegalArgumentException("op kind is missing");
    }
    if (microbatch < 0) {
      throw new IllegalArgumentException("op " + kind + ": microbatch must be >= 0, got " + microbatch);
    }
    if (virtualStage < 0) {
      throw new IllegalArgumentException(
          "op " + kind + ": virtual stage must be >= 0, got " + virtualStage);
    }
  }

  public static Op f(int microbatch, int virtualStage) {
    return new Op(OpKind.F, microbatch, virtualStage);
  }

  public static Op b(int microbatch, int virtualStage) {
    return new Op(OpKind.B, microbatch, virtualStage);
  }

  public static Op w(int microbatch, int virtualStage) {
    return new Op(OpKind.W, microbatch, virtualStage);
  }

  public static Op bw(int microbatch, int virtualStage) {
    return new Op(OpKind.BW, microbatch, virtualStage);
  }

  /** Parses the short form printed by {@link #toString()}, e.g. {@code BW12@3}. */
  public static Op parse(String text) {
    Matcher m = SHORT_FORM.matcher(text == null ? "" : text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "not an op: '" + text + "' (expected KIND<microbatch>@<virtual stage>, e.g. F3@5)");
    }
    return new Op(OpKind.valueOf(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
  }

  /**
   * A well-mixed hash: the record default ({@code 31*h + x}) makes ops of neighbouring
   * microbatches and stages collide, which degrades large hash maps keyed by op (e.g. {@link
   * Schedule#weightVersions()}, copied into an open-addressing {@code Map.copyOf}).
   */
  @Override
  public int hashCode() {
    long h = ((long) microbatch << 32) ^ ((long) virtualStage << 2) ^ kind.ordinal();
    h *= 0x9E3779B97F4A7C15L;
    h ^= h >>> 29;
    h *= 0xBF58476D1CE4E5B9L;
    return (int) (h ^ (h >>> 32));
  }

  @Override
  public String toString() {
    return kind.name() + microbatch + "@" + virtualStage;
  }
}
