package io.tandem.kernels;

/**
 * A device is unusable after a CUDA error (errors such as an illegal address are sticky: every
 * later call on the context fails too). Thrown by the op that hit the error and, at once, by
 * every later op of that device.
 */
public final class DeviceFailedException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  DeviceFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
