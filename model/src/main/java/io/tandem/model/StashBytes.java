package io.tandem.model;

/**
 * Activation memory one layer keeps for one microbatch between its passes.
 *
 * @param bOnly bytes kept from F until B that B releases (needed by B only)
 * @param wFromForward bytes kept from F until W
 * @param wFromBackward bytes B adds (the output gradient) and W releases
 */
public record StashBytes(long bOnly, long wFromForward, long wFromBackward) {
  public static final StashBytes NONE = new StashBytes(0, 0, 0);

  /** Held between F and B. */
  public long afterForward() {
    return bOnly + wFromForward;
  }

  /** Held between B and W. */
  public long afterBackwardInput() {
    return wFromForward + wFromBackward;
  }

  /** The larger of the two. */
  public long peak() {
    return Math.max(afterForward(), afterBackwardInput());
  }

  public StashBytes plus(StashBytes o) {
    return new StashBytes(bOnly + o.bOnly, wFromForward + o.wFromForward, wFromBackward + o.wFromBackward);
  }
}
