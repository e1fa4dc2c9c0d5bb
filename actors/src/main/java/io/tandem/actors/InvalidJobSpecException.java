package io.tandem.actors;

/**
 * A job spec with a bad field. The message is {@code FIELD: REASON}; {@link #field()} is the
 * spec field's name as the Java builder and the admin JSON spell it (e.g. {@code microbatches}).
 */
public final class InvalidJobSpecException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String field;
  private final String reason;

  public InvalidJobSpecException(String field, String reason) {
    super(field + ": " + reason);
    this.field = field;
    this.reason = reason;
  }

  /** The field at fault. */
  public String field() {
    return field;
  }

  /** Why it is rejected. */
  public String reason() {
    return reason;
  }
}
