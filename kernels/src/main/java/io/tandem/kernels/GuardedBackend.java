package io.tandem.kernels;

import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A CUDA device that poisons itself on the first driver error: that op and every later one
 * throw {@link DeviceFailedException} with one line naming the device and the error, without
 * touching the driver again, so the worker fails cleanly and the job can go on elsewhere.
 */
final class GuardedBackend extends ForwardingBackend {
  private volatile DeviceFailedException poison;
  private final Consumer<String> onPoisoned;

  /** @param onPoisoned told the message once, on the compute thread, when the device is poisoned */
  GuardedBackend(Backend delegate, Consumer<String> onPoisoned) {
    super(delegate);
    this.onPoisoned = onPoisoned;
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
      onPoisoned.accept(failed.getMessage());
      throw failed;
    }
  }

  /** Freeing on a poisoned device does nothing: its memory goes with its context at {@link #close}. */
  @Override
  public void free(DeviceBuffer buffer) {
    if (poison == null) {
      super.free(buffer);
    }
  }

  @Override
  public void free(DeviceIntBuffer buffer) {
    if (poison == null) {
      super.free(buffer);
    }
  }

  /** Closes the device; on a poisoned one the driver's further errors are only logged. */
  @Override
  public void close() {
    if (poison == null) {
      delegate.close();
      return;
    }
    try {
      delegate.close();
    } catch (RuntimeException e) {
      org.slf4j.LoggerFactory.getLogger(GuardedBackend.class).warn("closing poisoned {}: {}", delegate.name(),
          e.getMessage());
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
