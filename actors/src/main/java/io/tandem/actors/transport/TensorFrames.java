package io.tandem.actors.transport;

import io.tandem.actors.transport.HostTensor;
import io.tandem.proto.TensorFrameHeader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The data plane's frame format:
 * {@code [int32 magic][int32 header length][TensorFrameHeader][payload]}, big-endian integers.
 * A signed frame (authentication on: the header's {@code mac} set, an HMAC-SHA256 of the header
 * under the job's key) carries its payload, the tensor's raw little-endian float32 values,
 * encrypted with AES-256-GCM in blocks of {@value FrameCipher#BLOCK_BYTES} bytes, each followed
 * by its 16-byte tag, under a key derived from the job's key and the header's {@code seal_salt}
 * ({@link FrameCipher}). An unsigned frame carries the plain values followed by 4 bytes of CRC32C
 * over every byte before them. The payload's length, a {@code long}, is the header's
 * {@code payload_bytes}. Frames are written and read in chunks ({@link FrameWriter},
 * {@link FrameReader}); no buffer ever holds a whole frame.
 */
public final class TensorFrames {
  /** First four bytes of every frame ("TDP3"). */
  public static final int MAGIC = 0x54445033;
  /** First four bytes of the frames of tandem versions that sealed with HMAC-SHA256 ("TDP2"). */
  static final int MAGIC_V2 = 0x54445032;
  /** Bytes in front of the header: magic and header length. */
  public static final int PREFIX_BYTES = 8;
  /** Largest header a reader accepts. */
  public static final int MAX_HEADER_BYTES = 64 << 10;
  /** Most values one tensor (one float[]) can hold. */
  public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

  private TensorFrames() {}

  /** Size on the wire of a frame with this header length, payload and seal. */
  public static long frameBytes(int headerBytes, long payloadBytes, boolean signed) {
    return PREFIX_BYTES + headerBytes + payloadBytes + sealBytes(payloadBytes, signed);
  }

  /** Bytes a frame's seal adds to its payload: the blocks' tags when signed, else the CRC32C. */
  static long sealBytes(long payloadBytes, boolean signed) {
    return signed ? FrameCipher.tagBytes(payloadBytes) : FrameChecksum.LENGTH;
  }

  /** The one-line error for a frame over the configured limit. */
  public static String tooLarge(long frameBytes, long limit) {
    return "tensor frame of " + frameBytes + " bytes exceeds the data plane limit of " + limit + " bytes ("
        + DataPlaneSettings.PATH + ".max-frame-size)";
  }

  /** {@code header} with its {@code mac} set: HMAC-SHA256 with {@code key} of the header without it. */
  public static TensorFrameHeader sign(TensorFrameHeader header, byte[] key) {
    return header.toBuilder().setMac(com.google.protobuf.ByteString.copyFrom(mac(header, key))).build();
  }

  /** True when {@code header}'s mac is that of {@code key} (constant-time compare). */
  public static boolean verify(TensorFrameHeader header, byte[] key) {
    return !header.getMac().isEmpty()
        && MessageDigest.isEqual(header.getMac().toByteArray(), mac(header, key));
  }

  private static byte[] mac(TensorFrameHeader header, byte[] key) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(header.toBuilder().clearMac().build().toByteArray());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 missing from the JDK", e);
    }
  }

  /**
   * One whole frame in memory, signed with {@code key} (null: unsigned); for small tensors,
   * tools and tests (the data plane itself streams).
   */
  public static byte[] encode(TensorFrameHeader header, HostTensor tensor, byte[] key) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      new FrameWriter(8192, Long.MAX_VALUE).write(Channels.newChannel(out), header, tensor, key);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Reads one frame from {@code frame} as a server with {@code directory} would; for tools and tests. */
  public static FrameReader.Result decode(byte[] frame, StageDirectory directory) throws IOException {
    return new FrameReader(Channels.newChannel(new ByteArrayInputStream(frame)), directory, 8192, Long.MAX_VALUE)
        .next();
  }
}
