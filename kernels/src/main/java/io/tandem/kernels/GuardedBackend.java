package io.tandem.kernels;

import java.util.function.Supplier;

/**
 * A CUDA device that poisons itself on the first driver error: that op and every later one
 * throw {@link DeviceFailedException} with one line naming the device and the error, without
 * touching the driver again, so the worker fails cleanly and the job can go on elsewhere.
 */
final class GuardedBackend extends ForwardingBackend {
  private volatile DeviceFailedException poison;

  GuardedBackend(Backend delegate) {
    super(delegate);
  }

  @Override
  protected <T> T call(String op, Supplier<T> body) {
    DeviceFailedException p = poison;
    if (p != null) {
      throw new DeviceFailedException(p.getMessage(), p.getCause());
    }
    try {
      return body.get();
    } catch (CudaDriverException e) {
      DeviceFailedException failed = new DeviceFailedException(message(delegate.name(), op, e), e);
      poison = failed;
      throw failed;
    }
  }

  /** The one-line message of a device poisoned by {@code error} in {@code op}. */
  static String message(String device, String op, CudaDriverException error) {
    return device + " is unusable after a CUDA error in " + op + ": " + error.getMessage()
        + "; its worker must restart";
  }

  /** Whether a driver error has poisoned this device. */
  boolean poisoned() {
    return poison != null;
  }
}
