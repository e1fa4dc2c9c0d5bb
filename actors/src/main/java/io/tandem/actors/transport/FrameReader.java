package io.tandem.actors.transport;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tandem.proto.TensorFrameHeader;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import javax.crypto.spec.SecretKeySpec;

/**
 * Reads tensor frames ({@link TensorFrames}) from a blocking channel: the header is checked
 * (signature, size limit, shape) before any payload is read, then the payload is read chunk by
 * chunk into the tensor's float[]: a signed frame's blocks are each decrypted and checked against
 * their tag ({@link FrameCipher}), an unsigned frame's bytes go through one reused direct buffer
 * while their CRC32C is computed and checked against the one that follows. With a parallel
 * {@link SealPool}, the blocks of a frame of several blocks are opened by the pool's threads while
 * this one reads on. One per connection.
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
  private final SealPool pool; // null: open on this thread
  private final FrameChecksum crc = new FrameChecksum();
  private FrameCipher cipher; // signed frames only, made on first use
  private byte[] sealed; // one block as received, with its tag
  private byte[] plain; // one block decrypted
  private byte[][] slots; // parallel: block i received into slots[i % window]

  FrameReader(ReadableByteChannel channel, StageDirectory directory, int chunkBytes, long maxFrameBytes) {
    this(channel, directory, chunkBytes, maxFrameBytes, null);
  }

  /** A reader whose frames of several blocks {@code pool} opens (null or one thread: this thread opens). */
  FrameReader(ReadableByteChannel channel, StageDirectory directory, int chunkBytes, long maxFrameBytes,
      SealPool pool) {
    this.channel = channel;
    this.directory = directory;
    this.chunk = ByteBuffer.allocateDirect(chunkBytes);
    this.maxFrameBytes = maxFrameBytes;
    this.pool = pool != null && pool.parallel() ? pool : null;
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
    if (magic == TensorFrames.MAGIC_V2) {
      return new Rejected(none, String.format("frame of an older tandem version (format %08x, this node reads %08x):"
          + " run the same tandem version on every node", magic, TensorFrames.MAGIC), true);
    }
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
    long sealLength = payload < 0 ? 0 : TensorFrames.sealBytes(payload, signed);
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
    if (bad == null && signed && h.getSealSalt().size() != FrameCipher.SALT_BYTES) {
      bad = "signed frame with a seal salt of " + h.getSealSalt().size() + " bytes, not " + FrameCipher.SALT_BYTES;
    }
    if (bad != null) {
      return skip(new Rejected(h, bad, false), payload + sealLength);
    }
    if (signed) {
      return readSealed(h, key);
    }
    FrameChecksum seal = crc.start();
    seal.update(prefix.flip());
    seal.update(headerBytes);
    return readChecked(h, seal);
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

  /** The payload of a signed frame: each block read with its tag, opened, and copied into the float[]. */
  private Result readSealed(TensorFrameHeader h, byte[] key) throws IOException {
    if (cipher == null) {
      cipher = new FrameCipher();
      sealed = new byte[FrameCipher.BLOCK_BYTES + FrameCipher.TAG_BYTES];
      plain = new byte[FrameCipher.BLOCK_BYTES];
    }
    SecretKeySpec frameKey = cipher.start(key, h.getSealSalt().toByteArray());
    long payload = h.getPayloadBytes();
    long blocks = FrameCipher.blocks(payload);
    if (pool != null && blocks > 1) {
      return readBlocksInParallel(h, frameKey, blocks);
    }
    float[] data = new float[(int) (payload / Float.BYTES)];
    long done = 0;
    ByteBuffer in = ByteBuffer.wrap(sealed);
    try {
      for (long i = 0; i < blocks; i++) {
        int n = (int) Math.min(FrameCipher.BLOCK_BYTES, payload - done);
        in.clear().limit(n + FrameCipher.TAG_BYTES);
        readFully(in, false);
        if (!cipher.open(i, sealed, 0, n, plain)) {
          long rest = payload - done - n + (blocks - i - 1) * FrameCipher.TAG_BYTES;
          return skip(new Rejected(h, "payload block " + i + " of " + blocks + " (bytes " + done + ".." + (done + n)
              + ") fails its AES-GCM tag: the frame was corrupted, reordered or forged on the way", false), rest);
        }
        ByteBuffer.wrap(plain, 0, n).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
            .get(data, (int) (done / Float.BYTES), n / Float.BYTES);
        done += n;
      }
    } catch (IOException e) {
      return lost(h, done + Math.min(in.position(), payload - done), payload, e);
    }
    return received(h, data);
  }

  /**
   * Block {@code i} is read into {@code slots[i % window]} and opened on a pool thread straight
   * into its part of the tensor, which a pool thread allocates (and the JVM zeroes) meanwhile; the
   * results are taken in block order, so the first block that fails its tag is the one named, and
   * the rest of the frame is skipped after it. No block is left in flight when this returns.
   */
  private Result readBlocksInParallel(TensorFrameHeader h, SecretKeySpec frameKey, long blocks) throws IOException {
    int window = pool.window();
    if (slots == null) {
      slots = pool.newSlots();
    }
    long payload = h.getPayloadBytes();
    long sealedBytes = payload + blocks * FrameCipher.TAG_BYTES;
    long readBytes = 0; // of the payload and its tags
    long readPayload = 0;
    CompletableFuture<float[]> data = pool.submit(() -> new float[(int) (payload / Float.BYTES)]);
    ArrayDeque<CompletableFuture<Boolean>> inFlight = new ArrayDeque<>(window);
    try {
      for (long next = 0, checked = 0; checked < blocks; ) {
        while (next < blocks && next - checked < window) {
          int n = (int) Math.min(FrameCipher.BLOCK_BYTES, payload - readPayload);
          byte[] slot = slots[(int) (next % window)];
          ByteBuffer in = ByteBuffer.wrap(slot, 0, n + FrameCipher.TAG_BYTES);
          try {
            readFully(in, false);
          } catch (IOException e) {
            return lost(h, readPayload + Math.min(in.position(), n), payload, e);
          }
          inFlight.add(openBlock(frameKey, next, slot, n, data, (int) (readPayload / Float.BYTES)));
          readPayload += n;
          readBytes += n + FrameCipher.TAG_BYTES;
          next++;
        }
        if (!SealPool.join(inFlight.poll())) {
          long start = checked * FrameCipher.BLOCK_BYTES;
          long end = Math.min(payload, start + FrameCipher.BLOCK_BYTES);
          return skip(new Rejected(h, "payload block " + checked + " of " + blocks + " (bytes " + start + ".." + end
              + ") fails its AES-GCM tag: the frame was corrupted, reordered or forged on the way", false),
              sealedBytes - readBytes);
        }
        checked++;
      }
    } finally {
      inFlight.forEach(f -> f.handle((v, e) -> null).join());
    }
    return received(h, SealPool.join(data));
  }

  /** Opens a block into the thread's plain bytes, then (the tensor allocated by now) copies it in. */
  private CompletableFuture<Boolean> openBlock(SecretKeySpec frameKey, long index, byte[] slot, int length,
      CompletableFuture<float[]> data, int at) {
    return pool.submit(() -> {
      byte[] plainBlock = pool.plainBlock();
      if (!pool.cipher().open(frameKey, index, slot, 0, length, plainBlock)) {
        return false;
      }
      ByteBuffer.wrap(plainBlock, 0, length).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
          .get(SealPool.join(data), at, length / Float.BYTES);
      return true;
    });
  }

  /** The payload of an unsigned frame through the direct chunk, then its CRC32C. */
  private Result readChecked(TensorFrameHeader h, FrameChecksum seal) throws IOException {
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
      byte[] received = new byte[FrameChecksum.LENGTH];
      readFully(ByteBuffer.wrap(received), false);
      String mismatch = FrameChecksum.mismatch(seal.finish(), received);
      if (mismatch != null) {
        return new Rejected(h, mismatch, false);
      }
    } catch (IOException e) {
      return lost(h, done + (done < payload ? chunk.position() : 0), payload, e);
    }
    return received(h, data);
  }

  private static Rejected lost(TensorFrameHeader h, long got, long payload, IOException e) {
    return new Rejected(h, "connection lost after " + got + " of " + payload + " payload bytes: "
        + (e instanceof EOFException || e.getMessage() == null ? "end of stream" : e.getMessage()), true);
  }

  private static Received received(TensorFrameHeader h, float[] data) {
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
