package io.tandem.schedule;

/**
 * How a chunk's activation memory is released by the backward pass (DESIGN.md, "Schedule JSON").
 *
 * <p>{@code F} on a chunk adds {@code 1/chunksPerDevice} units (one unit = one microbatch's
 * activations for {@code 1/p} of the model). {@code B} frees {@code bReleaseFraction} of that
 * amount and {@code W} the rest; a fused {@code BW} frees all of it. {@link #DEFAULT} (fraction
 * 0) is DESIGN.md's model: activations are held from {@code F} until {@code W}.
 *
 * @param bReleaseFraction share of a chunk's activation freed by its {@code B}, in {@code [0, 1]}
 */
public record MemoryModel(double bReleaseFraction) {
  /** Activations held from F until W (or BW). */
  public static final MemoryModel DEFAULT = new MemoryModel(0);

  public MemoryModel {
    if (!(bReleaseFraction >= 0 && bReleaseFraction <= 1)) {
      throw new IllegalArgumentException(
          "B release fraction must be in [0, 1], got " + bReleaseFraction);
    }
  }
}
