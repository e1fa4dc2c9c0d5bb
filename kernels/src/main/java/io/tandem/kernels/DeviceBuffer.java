package io.tandem.kernels;

/**
 * A float32 buffer in one backend's memory. Obtained from {@link Backend#allocate(long)} and
 * returned with {@link Backend#free(DeviceBuffer)}; only the backend that made it may use it.
 */
public interface DeviceBuffer {
  /** Number of float elements. */
  long length();

  /** The backend that owns this buffer. */
  Backend backend();
}
