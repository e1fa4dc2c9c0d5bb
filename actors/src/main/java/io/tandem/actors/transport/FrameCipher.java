package io.tandem.actors.transport;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The seal of a signed frame's payload: AES-256-GCM, block by block. Each frame has its own key,
 * HMAC-SHA256 of the job's data plane key over a label and the frame's random 16-byte salt
 * (carried in the signed header), and block {@code i} of the payload ({@value #BLOCK_BYTES}
 * bytes, the last one shorter) is encrypted with nonce {@code i} and followed by its 16-byte tag.
 * A (key, nonce) pair is therefore never used twice: a new salt per frame, a new index per block.
 * The nonce binds a block to its place, the key binds it to its frame, and the signed header fixes
 * the payload's length, so a block that is changed, moved, taken from another frame or cut off
 * fails. One instance per thread.
 */
final class FrameCipher {
  /** Payload bytes per sealed block. */
  static final int BLOCK_BYTES = 256 << 10;
  /** Bytes of the tag after each block. */
  static final int TAG_BYTES = 16;
  /** Bytes of the per-frame salt in the header. */
  static final int SALT_BYTES = 16;
  private static final byte[] LABEL = "tandem data plane frame key v1\0".getBytes(StandardCharsets.US_ASCII);

  private final Cipher cipher;
  private final Mac kdf;
  private final SecureRandom random = new SecureRandom();
  private final byte[] nonce = new byte[12];
  private SecretKeySpec frameKey;

  FrameCipher() {
    try {
      cipher = Cipher.getInstance("AES/GCM/NoPadding");
      kdf = Mac.getInstance("HmacSHA256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES/GCM or HmacSHA256 missing from the JDK", e);
    }
  }

  /** Sealed blocks of a payload of {@code payloadBytes} (an empty payload is one empty block). */
  static long blocks(long payloadBytes) {
    return payloadBytes <= 0 ? 1 : (payloadBytes + BLOCK_BYTES - 1) / BLOCK_BYTES;
  }

  /** Bytes the tags add to a payload of {@code payloadBytes}. */
  static long tagBytes(long payloadBytes) {
    return blocks(payloadBytes) * TAG_BYTES;
  }

  /** A fresh random salt for a frame. */
  byte[] newSalt() {
    byte[] salt = new byte[SALT_BYTES];
    random.nextBytes(salt);
    return salt;
  }

  /** Starts a frame: derives its key from {@code jobKey} and {@code salt}, and returns it. */
  SecretKeySpec start(byte[] jobKey, byte[] salt) {
    try {
      kdf.init(new SecretKeySpec(jobKey, "HmacSHA256"));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("unusable data plane key: " + e.getMessage(), e);
    }
    kdf.update(LABEL);
    kdf.update(salt);
    frameKey = new SecretKeySpec(kdf.doFinal(), "AES");
    return frameKey;
  }

  /**
   * Encrypts {@code length} bytes of {@code plain} as block {@code index} of the frame into
   * {@code out} at {@code offset}, followed by its tag.
   *
   * @return bytes written: {@code length + TAG_BYTES}
   */
  int seal(long index, byte[] plain, int length, byte[] out, int offset) {
    return seal(frameKey, index, plain, length, out, offset);
  }

  /** {@link #seal(long, byte[], int, byte[], int)} under {@code key}, which another instance's {@link #start} made. */
  int seal(SecretKeySpec key, long index, byte[] plain, int length, byte[] out, int offset) {
    try {
      cipher.init(Cipher.ENCRYPT_MODE, key, nonce(index));
      return cipher.doFinal(plain, 0, length, out, offset);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM failed to seal block " + index + ": " + e.getMessage(), e);
    }
  }

  /**
   * Decrypts block {@code index} ({@code length} bytes followed by its tag, at {@code offset} of
   * {@code in}) into {@code plain}; false when its tag does not match.
   */
  boolean open(long index, byte[] in, int offset, int length, byte[] plain) {
    return open(frameKey, index, in, offset, length, plain);
  }

  /** {@link #open(long, byte[], int, int, byte[])} under {@code key}, which another instance's {@link #start} made. */
  boolean open(SecretKeySpec key, long index, byte[] in, int offset, int length, byte[] plain) {
    try {
      cipher.init(Cipher.DECRYPT_MODE, key, nonce(index));
      return cipher.doFinal(in, offset, length + TAG_BYTES, plain, 0) == length;
    } catch (AEADBadTagException e) {
      return false;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM failed to open block " + index + ": " + e.getMessage(), e);
    }
  }

  /** The 96-bit nonce of block {@code index}: four zero bytes, then the index, big-endian. */
  private GCMParameterSpec nonce(long index) {
    for (int i = 0; i < 8; i++) {
      nonce[4 + i] = (byte) (index >>> (56 - 8 * i));
    }
    return new GCMParameterSpec(TAG_BYTES * 8, nonce);
  }
}
