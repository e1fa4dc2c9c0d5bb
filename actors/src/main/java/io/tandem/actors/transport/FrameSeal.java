package io.tandem.actors.transport;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.zip.CRC32C;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What closes a frame: computed over every byte of the frame before it and sent after the
 * payload. A signed frame is sealed with HMAC-SHA256 under its job's key, an unsigned one with
 * CRC32C. One instance per thread (it holds the running state of the frame in progress).
 */
abstract sealed class FrameSeal permits FrameSeal.Hmac, FrameSeal.Crc {

  /** Bytes the seal takes on the wire. */
  abstract int length();

  /** Adds {@code bytes} (from position to limit; the buffer itself is left as it is). */
  abstract void update(ByteBuffer bytes);

  abstract void update(byte[] bytes);

  /** The seal of everything added since the seal was started. */
  abstract byte[] finish();

  /** Null when {@code received} is this seal; else the one-line reason it is not. */
  abstract String mismatch(byte[] expected, byte[] received);

  /** HMAC-SHA256: proves the frame, header and payload, comes unchanged from a holder of the key. */
  static final class Hmac extends FrameSeal {
    static final int LENGTH = 32;
    private final Mac mac;

    Hmac() {
      try {
        mac = Mac.getInstance("HmacSHA256");
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("HmacSHA256 missing from the JDK", e);
      }
    }

    /** Starts a frame sealed with {@code key}. */
    Hmac start(byte[] key) {
      try {
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
      } catch (GeneralSecurityException e) {
        throw new IllegalArgumentException("unusable data plane key: " + e.getMessage(), e);
      }
      return this;
    }

    @Override
    int length() {
      return LENGTH;
    }

    @Override
    void update(ByteBuffer bytes) {
      mac.update(bytes.duplicate());
    }

    @Override
    void update(byte[] bytes) {
      mac.update(bytes);
    }

    @Override
    byte[] finish() {
      return mac.doFinal();
    }

    @Override
    String mismatch(byte[] expected, byte[] received) {
      return MessageDigest.isEqual(expected, received) ? null
          : "payload MAC mismatch: the frame was corrupted or forged on the way";
    }
  }

  /** CRC32C: catches corruption, proves nothing about the sender. */
  static final class Crc extends FrameSeal {
    static final int LENGTH = 4;
    private final CRC32C crc = new CRC32C();

    Crc start() {
      crc.reset();
      return this;
    }

    @Override
    int length() {
      return LENGTH;
    }

    @Override
    void update(ByteBuffer bytes) {
      crc.update(bytes.duplicate());
    }

    @Override
    void update(byte[] bytes) {
      crc.update(bytes);
    }

    @Override
    byte[] finish() {
      return ByteBuffer.allocate(LENGTH).order(ByteOrder.BIG_ENDIAN).putInt((int) crc.getValue()).array();
    }

    @Override
    String mismatch(byte[] expected, byte[] received) {
      int want = ByteBuffer.wrap(expected).getInt();
      int got = ByteBuffer.wrap(received).getInt();
      return want == got ? null
          : String.format("checksum mismatch: frame crc32c %08x, trailer says %08x", want, got);
    }
  }
}
