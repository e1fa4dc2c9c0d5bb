package io.tandem.actors.transport;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tandem.actors.transport.HostTensor;
import io.tandem.proto.TensorFrameHeader;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;

/**
 * Reads tensor frames ({@link TensorFrames}) from a blocking channel through one reused direct
 * buffer: the header is checked (signature, size limit, shape) before any payload is read, then
 * the payload is read chunk by chunk into the tensor's float[] while the seal is computed, and
 * checked against the one that follows. One per connection.
 */
final class FrameReader {
  /** What one frame turned out to be. {@code connectionLost}: the stream cannot be read further. */
  sealed interface Result permits Received, Refused, Rejected {
    TensorFrameHeader header();

    boolean connectionLost();
  }

  /** A verified frame. */
  record Received(TensorFrameHeader header, HostTensor tensor) implements Result {
    @Override
    public boolean connectionLost() {
      return false;
    }
  }

  /** A frame not signed by a member of its job: to drop, never to show to a worker. */
  record Refused(TensorFrameHeader header, boolean connectionLost) implements Result {}

  /** A member's frame that failed a check: its step must fail with {@code reason}. */
  record Rejected(TensorFrameHeader header, String reason, boolean connectionLost) implements Result {}

  private final ReadableByteChannel channel;
  private final StageDirectory directory;
  private final ByteBuffer chunk;
  private final ByteBuffer prefix = ByteBuffer.allocate(TensorFrames.PREFIX_BYTES);
  private final long maxFrameBytes;
  private final FrameSeal.Hmac hmac = new FrameSeal.Hmac();
  private final FrameSeal.Crc crc = new FrameSeal.Crc();

  FrameReader(ReadableByteChannel channel, StageDirectory directory, int chunkBytes, long maxFrameBytes) {
    this.channel = channel;
    this.directory = directory;
    this.chunk = ByteBuffer.allocateDirect(chunkBytes);
    this.maxFrameBytes = maxFrameBytes;
  }

  /**
   * Reads the next frame; null when the stream ends cleanly between frames.
   *
   * @throws IOException when the stream fails or ends before a header could be read
   */
  Result next() throws IOException {
    prefix.clear();
    if (!readFully(prefix, true)) {
      return null;
    }
    prefix.flip();
    TensorFrameHeader none = TensorFrameHeader.getDefaultInstance();
    int magic = prefix.getInt();
    int headerLength = prefix.getInt();
    if (magic != TensorFrames.MAGIC) {
      return new Rejected(none, String.format("not a data plane frame: it starts with %08x", magic), true);
    }
    if (headerLength < 0 || headerLength > TensorFrames.MAX_HEADER_BYTES) {
      return new Rejected(none, "frame header of " + headerLength + " bytes is outside 0.."
          + TensorFrames.MAX_HEADER_BYTES, true);
    }
    byte[] headerBytes = new byte[headerLength];
    readFully(ByteBuffer.wrap(headerBytes), false);
    TensorFrameHeader h;
    try {
      h = TensorFrameHeader.parseFrom(headerBytes);
    } catch (InvalidProtocolBufferException e) {
      return new Rejected(none, "unreadable frame header: " + e.getMessage(), true);
    }
    boolean signed = !h.getMac().isEmpty();
    long payload = h.getPayloadBytes();
    long frameBytes = TensorFrames.frameBytes(headerLength, payload, signed);
    boolean skippable = payload >= 0 && frameBytes <= maxFrameBytes;
    int sealLength = signed ? FrameSeal.Hmac.LENGTH : FrameSeal.Crc.LENGTH;
    if (!directory.accepts(h)) {
      return skip(new Refused(h, !skippable), payload + sealLength);
    }
    if (payload < 0) {
      return new Rejected(h, "negative payload length " + payload, true);
    }
    if (frameBytes > maxFrameBytes) {
      return new Rejected(h, TensorFrames.tooLarge(frameBytes, maxFrameBytes), true);
    }
    String bad = checkShape(h);
    byte[] key = signed ? directory.keyOf(h.getJobId()) : null;
    if (bad == null && signed && key == null) {
      bad = "frame of job '" + h.getJobId() + "' is signed but this node holds no key for it (is "
          + DataPlaneSettings.PATH + ".authenticate the same on every node?)";
    }
    if (bad != null) {
      return skip(new Rejected(h, bad, false), payload + sealLength);
    }
    FrameSeal seal = signed ? hmac.start(key) : crc.start();
    seal.update(prefix.flip());
    seal.update(headerBytes);
    return readPayload(h, seal);
  }

  /** Null when the shape fits the payload and a float[]; else why not. */
  private static String checkShape(TensorFrameHeader h) {
    if (h.getShapeCount() == 0) {
      return "frame has no shape";
    }
    long elements = 1;
    for (long d : h.getShapeList()) {
      if (d < 0 || d > Integer.MAX_VALUE) {
        return "bad dimension " + d + " in shape " + h.getShapeList();
      }
      elements = d == 0 || elements <= TensorFrames.MAX_ELEMENTS / d ? elements * d : TensorFrames.MAX_ELEMENTS + 1;
    }
    if (elements > TensorFrames.MAX_ELEMENTS) {
      return "shape " + h.getShapeList() + " has more than " + TensorFrames.MAX_ELEMENTS + " values (one float[])";
    }
    if (Float.BYTES * elements != h.getPayloadBytes()) {
      return "shape " + h.getShapeList() + " needs " + Float.BYTES * elements + " payload bytes, frame has "
          + h.getPayloadBytes();
    }
    return null;
  }

  private Result readPayload(TensorFrameHeader h, FrameSeal seal) throws IOException {
    long payload = h.getPayloadBytes();
    float[] data = new float[(int) (payload / Float.BYTES)];
    long done = 0;
    try {
      while (done < payload) {
        chunk.clear().limit((int) Math.min(chunk.capacity(), payload - done));
        readFully(chunk, false);
        chunk.flip();
        seal.update(chunk);
        chunk.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data, (int) (done / Float.BYTES),
            chunk.remaining() / Float.BYTES);
        done += chunk.remaining();
      }
      byte[] received = new byte[seal.length()];
      readFully(ByteBuffer.wrap(received), false);
      String mismatch = seal.mismatch(seal.finish(), received);
      if (mismatch != null) {
        return new Rejected(h, mismatch, false);
      }
    } catch (IOException e) {
      long got = done + (done < payload ? chunk.position() : 0);
      return new Rejected(h, "connection lost after " + got + " of " + payload + " payload bytes: "
          + (e instanceof EOFException || e.getMessage() == null ? "end of stream" : e.getMessage()), true);
    }
    int[] shape = h.getShapeList().stream().mapToInt(Long::intValue).toArray();
    if (h.hasTrace()) {
      h = h.toBuilder().setTrace(h.getTrace().toBuilder().setReadUs(HopClock.nowMicros())).build();
    }
    return new Received(h, new HostTensor(shape, data));
  }

  /** Reads and drops {@code bytes} (the rest of a frame that will not be delivered), unless it cannot. */
  private Result skip(Result result, long bytes) throws IOException {
    if (result.connectionLost()) {
      return result;
    }
    for (long left = bytes; left > 0; ) {
      chunk.clear().limit((int) Math.min(chunk.capacity(), left));
      readFully(chunk, false);
      left -= chunk.limit();
    }
    return result;
  }

  /** Fills {@code buffer}; false when the stream ended before its first byte and {@code eofOk}. */
  private boolean readFully(ByteBuffer buffer, boolean eofOk) throws IOException {
    int start = buffer.position();
    while (buffer.hasRemaining()) {
      if (channel.read(buffer) < 0) {
        if (eofOk && buffer.position() == start) {
          return false;
        }
        throw new EOFException("stream ended " + (buffer.position() - start) + " bytes into a read of "
            + (buffer.limit() - start));
      }
    }
    return true;
  }
}
