package io.tandem.kernels;

/** An int32 buffer in one backend's memory (token ids, class targets). */
public interface DeviceIntBuffer {
  /** Number of int elements. */
  long length();

  /** The backend that owns this buffer. */
  Backend backend();
}
