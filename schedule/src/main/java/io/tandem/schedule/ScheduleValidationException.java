package io.tandem.schedule;

import java.util.Optional;

/**
 * A schedule breaks a rule of {@link Validator}. The one-line message names the first offending
 * op and its device; {@link #op()} and {@link #device()} carry them for callers that react.
 */
public final class ScheduleValidationException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final transient Op op;
  private final int device;

  public ScheduleValidationException(String message, Op op, int device) {
    super(message);
    this.op = op;
    this.device = device;
  }

  /** The offending op, when the problem is about one op. */
  public Optional<Op> op() {
    return Optional.ofNullable(op);
  }

  /** The device of the offending op, or -1 when the problem is not about one device. */
  public int device() {
    return device;
  }
}
