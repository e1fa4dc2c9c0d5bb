package io.tandem.actors.checkpoint;

/** A checkpoint that cannot be used; the message names the file and the reason. */
public final class CheckpointException extends RuntimeException {
  public CheckpointException(String message) {
    super(message);
  }
}
