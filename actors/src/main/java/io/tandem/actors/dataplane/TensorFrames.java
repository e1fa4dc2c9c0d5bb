package io.tandem.actors.dataplane;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tandem.actors.HostTensor;
import io.tandem.proto.TensorFrameHeader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;
import org.apache.pekko.util.ByteString;

/**
 * The data plane's frame format. One frame is
 * {@code [int32 frame length][int32 header length][TensorFrameHeader][payload]}, big-endian
 * lengths, the payload raw little-endian float32. The header carries the payload's shape,
 * size and CRC32C; {@link #decode} checks all three.
 */
public final class TensorFrames {
  /** Bytes of the length prefix in front of every frame. */
  public static final int LENGTH_FIELD = 4;

  private TensorFrames() {}

  /** A decoded, verified frame. */
  public record Frame(TensorFrameHeader header, HostTensor tensor) {}

  /** A frame that failed a check; {@code header} is what could be read (default instance if nothing). */
  public static final class RejectedFrame extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient TensorFrameHeader header;

    public RejectedFrame(TensorFrameHeader header, String message) {
      super(message);
      this.header = header;
    }

    public TensorFrameHeader header() {
      return header;
    }
  }

  /** CRC32C of the tensor's little-endian float32 bytes. */
  public static int crc32c(ByteBuffer payload) {
    CRC32C crc = new CRC32C();
    crc.update(payload.duplicate());
    return (int) crc.getValue();
  }

  /** Encodes {@code tensor} with {@code header} (shape, size and checksum are filled in), unsigned. */
  public static ByteString encode(TensorFrameHeader header, HostTensor tensor) {
    return encode(header, tensor, null);
  }

  /**
   * Encodes {@code tensor} with {@code header} (shape, size and checksum are filled in), signed
   * with the job's data plane {@code key} (null: unsigned).
   */
  public static ByteString encode(TensorFrameHeader header, HostTensor tensor, byte[] key) {
    ByteBuffer payload = ByteBuffer.allocate(4 * tensor.elements()).order(ByteOrder.LITTLE_ENDIAN);
    payload.asFloatBuffer().put(tensor.data());
    TensorFrameHeader.Builder h = header.toBuilder().clearShape().setPayloadBytes(payload.capacity())
        .setCrc32C(crc32c(payload));
    for (int d : tensor.shape()) {
      h.addShape(d);
    }
    TensorFrameHeader built = key == null ? h.build() : sign(h.build(), key);
    return frame(built.toByteArray(), payload.array());
  }

  /** {@code header} with its {@code mac} set: HMAC-SHA256 with {@code key} of the header without it. */
  public static TensorFrameHeader sign(TensorFrameHeader header, byte[] key) {
    return header.toBuilder().setMac(com.google.protobuf.ByteString.copyFrom(mac(header, key))).build();
  }

  /** True when {@code header}'s mac is that of {@code key} (constant-time compare). */
  public static boolean verify(TensorFrameHeader header, byte[] key) {
    return !header.getMac().isEmpty()
        && java.security.MessageDigest.isEqual(header.getMac().toByteArray(), mac(header, key));
  }

  private static byte[] mac(TensorFrameHeader header, byte[] key) {
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new javax.crypto.spec.SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(header.toBuilder().clearMac().build().toByteArray());
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 missing from the JDK", e);
    }
  }

  /** A frame of the given raw parts, unchecked (tests use it to build bad frames). */
  public static ByteString frame(byte[] header, byte[] payload) {
    ByteBuffer prefix = ByteBuffer.allocate(2 * LENGTH_FIELD).order(ByteOrder.BIG_ENDIAN);
    prefix.putInt(LENGTH_FIELD + header.length + payload.length).putInt(header.length).flip();
    return ByteString.fromByteBuffer(prefix).concat(ByteString.fromArrayUnsafe(header))
        .concat(ByteString.fromArrayUnsafe(payload));
  }

  /** Decodes and verifies one frame as cut by {@code Framing.lengthField} (length prefix included). */
  public static Frame decode(ByteString frame) throws RejectedFrame {
    ByteBuffer buf = frame.asByteBuffer().order(ByteOrder.BIG_ENDIAN);
    if (buf.remaining() < 2 * LENGTH_FIELD) {
      throw new RejectedFrame(TensorFrameHeader.getDefaultInstance(), "frame of " + buf.remaining() + " bytes is too short");
    }
    buf.getInt();
    int headerLength = buf.getInt();
    if (headerLength < 0 || headerLength > buf.remaining()) {
      throw new RejectedFrame(TensorFrameHeader.getDefaultInstance(), "header length " + headerLength
          + " does not fit the frame of " + frame.size() + " bytes");
    }
    TensorFrameHeader header;
    try {
      ByteBuffer hb = buf.slice();
      hb.limit(headerLength);
      header = TensorFrameHeader.parseFrom(hb);
    } catch (InvalidProtocolBufferException e) {
      throw new RejectedFrame(TensorFrameHeader.getDefaultInstance(), "unreadable frame header: " + e.getMessage());
    }
    buf.position(buf.position() + headerLength);
    ByteBuffer payload = buf.slice().order(ByteOrder.LITTLE_ENDIAN);
    if (payload.remaining() != header.getPayloadBytes()) {
      throw new RejectedFrame(header, "payload is " + payload.remaining() + " bytes but the header says "
          + header.getPayloadBytes());
    }
    long elements = 1;
    int[] shape = new int[header.getShapeCount()];
    for (int i = 0; i < shape.length; i++) {
      long d = header.getShape(i);
      if (d < 0 || d > Integer.MAX_VALUE) {
        throw new RejectedFrame(header, "bad dimension " + d + " in shape " + header.getShapeList());
      }
      shape[i] = (int) d;
      elements *= d;
    }
    if (shape.length == 0 || 4 * elements != payload.remaining()) {
      throw new RejectedFrame(header, "shape " + header.getShapeList() + " needs " + 4 * elements
          + " payload bytes, frame has " + payload.remaining());
    }
    int crc = crc32c(payload);
    if (crc != header.getCrc32C()) {
      throw new RejectedFrame(header, String.format("checksum mismatch: payload crc32c %08x, header says %08x",
          crc, header.getCrc32C()));
    }
    float[] data = new float[(int) elements];
    payload.asFloatBuffer().get(data);
    return new Frame(header, new HostTensor(shape, data));
  }
}
