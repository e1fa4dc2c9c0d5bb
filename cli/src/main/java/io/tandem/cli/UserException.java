package io.tandem.cli;

/** A mistake of the user's (missing file, bad value): printed as one line, exit code 2. */
public final class UserException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UserException(String message) {
    super(message);
  }

  public UserException(String message, Throwable cause) {
    super(message, cause);
  }
}
