package io.tandem.actors.transport;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * What closes an unsigned frame (authentication off): CRC32C over every byte of the frame before
 * it, sent after the payload. Catches corruption, proves nothing about the sender. One instance
 * per thread (it holds the running state of the frame in progress).
 */
final class FrameChecksum {
  /** Bytes the checksum takes on the wire. */
  static final int LENGTH = 4;
  private final CRC32C crc = new CRC32C();

  FrameChecksum start() {
    crc.reset();
    return this;
  }

  /** Adds {@code bytes} (from position to limit; the buffer itself is left as it is). */
  void update(ByteBuffer bytes) {
    crc.update(bytes.duplicate());
  }

  void update(byte[] bytes) {
    crc.update(bytes);
  }

  /** The checksum of everything added since {@link #start}. */
  byte[] finish() {
    return ByteBuffer.allocate(LENGTH).order(ByteOrder.BIG_ENDIAN).putInt((int) crc.getValue()).array();
  }

  /** Null when {@code received} is {@code expected}; else the one-line reason it is not. */
  static String mismatch(byte[] expected, byte[] received) {
    int want = ByteBuffer.wrap(expected).getInt();
    int got = ByteBuffer.wrap(received).getInt();
    return want == got ? null
        : String.format("checksum mismatch: frame crc32c %08x, trailer says %08x", want, got);
  }
}
