package io.tandem.actors.transport;

import com.google.protobuf.ByteString;
import io.tandem.proto.TensorFrameHeader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import javax.crypto.spec.SecretKeySpec;

/**
 * Writes tensor frames ({@link TensorFrames}) onto a blocking channel chunk by chunk, so no
 * buffer ever holds a whole frame. A signed frame's payload is copied block by block into a heap
 * array, encrypted and tagged ({@link FrameCipher}) and written; an unsigned one is copied into a
 * reused direct buffer and closed with a CRC32C ({@link FrameChecksum}). With a parallel
 * {@link SealPool}, the blocks of a frame of several blocks are copied and sealed by the pool's
 * threads while this one writes them in order. One per writing thread.
 */
final class FrameWriter {
  private final ByteBuffer chunk;
  private final long maxFrameBytes;
  private final SealPool pool; // null: seal on this thread
  private final FrameChecksum crc = new FrameChecksum();
  private FrameCipher cipher; // signed frames only, made on first use
  private byte[] plain; // one block of payload bytes
  private FloatBuffer plainFloats; // plain, seen as little-endian floats
  private byte[] sealed; // prefix, header and first block, or one later block, with its tag
  private byte[][] slots; // parallel: block i sealed into slots[i % window]

  /** Thrown before anything is written: the frame is over the limit (the connection stays usable). */
  static final class FrameTooLarge extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    FrameTooLarge(String message) {
      super(message);
    }
  }

  FrameWriter(int chunkBytes, long maxFrameBytes) {
    this(chunkBytes, maxFrameBytes, null);
  }

  /** A writer whose frames of several blocks {@code pool} seals (null or one thread: this thread seals). */
  FrameWriter(int chunkBytes, long maxFrameBytes, SealPool pool) {
    this.chunk = ByteBuffer.allocateDirect(chunkBytes);
    this.maxFrameBytes = maxFrameBytes;
    this.pool = pool != null && pool.parallel() ? pool : null;
  }

  /**
   * Writes {@code tensor} with {@code header} (shape and size filled in), signed and sealed with
   * {@code key} (null: unsigned, closed with CRC32C).
   *
   * @return the frame's size in bytes
   * @throws FrameTooLarge over the limit, before writing anything
   */
  long write(WritableByteChannel channel, TensorFrameHeader header, HostTensor tensor, byte[] key)
      throws IOException {
    TensorFrameHeader.Builder h = header.toBuilder().clearShape().clearMac().clearCrc32C().clearSealSalt()
        .setPayloadBytes(tensor.bytes());
    for (int d : tensor.shape()) {
      h.addShape(d);
    }
    byte[] salt = null;
    if (key != null) {
      salt = cipher().newSalt();
      h.setSealSalt(ByteString.copyFrom(salt));
    }
    byte[] headerBytes = (key == null ? h.build() : TensorFrames.sign(h.build(), key)).toByteArray();
    if (headerBytes.length > TensorFrames.MAX_HEADER_BYTES) {
      throw new FrameTooLarge("frame header of " + headerBytes.length + " bytes exceeds the limit of "
          + TensorFrames.MAX_HEADER_BYTES);
    }
    long frameBytes = TensorFrames.frameBytes(headerBytes.length, tensor.bytes(), key != null);
    if (frameBytes > maxFrameBytes) {
      throw new FrameTooLarge(TensorFrames.tooLarge(frameBytes, maxFrameBytes));
    }
    if (key == null) {
      writeChecked(channel, headerBytes, tensor.data());
    } else {
      writeSealed(channel, headerBytes, tensor.data(), key, salt);
    }
    return frameBytes;
  }

  private FrameCipher cipher() {
    if (cipher == null) {
      cipher = new FrameCipher();
      plain = new byte[FrameCipher.BLOCK_BYTES];
      plainFloats = ByteBuffer.wrap(plain).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
      sealed = new byte[TensorFrames.PREFIX_BYTES + TensorFrames.MAX_HEADER_BYTES + FrameCipher.BLOCK_BYTES
          + FrameCipher.TAG_BYTES];
    }
    return cipher;
  }

  /** Prefix and header, then each block of the payload encrypted and followed by its tag. */
  private void writeSealed(WritableByteChannel channel, byte[] headerBytes, float[] data, byte[] key, byte[] salt)
      throws IOException {
    SecretKeySpec frameKey = cipher.start(key, salt);
    ByteBuffer head = ByteBuffer.wrap(sealed);
    head.putInt(TensorFrames.MAGIC).putInt(headerBytes.length).put(headerBytes);
    int at = head.position();
    int perBlock = FrameCipher.BLOCK_BYTES / Float.BYTES;
    long blocks = FrameCipher.blocks(4L * data.length);
    if (pool != null && blocks > 1) {
      writeFully(channel, ByteBuffer.wrap(sealed, 0, at));
      writeBlocksInParallel(channel, data, frameKey, blocks);
      return;
    }
    for (long i = 0; i < blocks; i++) {
      int off = (int) (i * perBlock);
      int n = Math.min(perBlock, data.length - off);
      plainFloats.clear();
      plainFloats.put(data, off, n);
      at += cipher.seal(i, plain, n * Float.BYTES, sealed, at);
      writeFully(channel, ByteBuffer.wrap(sealed, 0, at));
      at = 0;
    }
  }

  /**
   * Block {@code i} is copied and sealed on a pool thread into {@code slots[i % window]}; this
   * thread writes the blocks in order and starts block {@code i + window} once block {@code i}
   * is written, so a slot is never reused while a block in it is being sealed or written.
   */
  private void writeBlocksInParallel(WritableByteChannel channel, float[] data, SecretKeySpec frameKey, long blocks)
      throws IOException {
    int window = pool.window();
    if (slots == null) {
      slots = pool.newSlots();
    }
    ArrayDeque<CompletableFuture<Integer>> inFlight = new ArrayDeque<>(window);
    try {
      for (long next = 0, written = 0; written < blocks; ) {
        while (next < blocks && next - written < window) {
          inFlight.add(sealBlock(data, frameKey, next, slots[(int) (next % window)]));
          next++;
        }
        int length = SealPool.join(inFlight.poll());
        writeFully(channel, ByteBuffer.wrap(slots[(int) (written % window)], 0, length));
        written++;
      }
    } finally {
      // a failed write leaves blocks in flight: let them finish before their slots are reused
      inFlight.forEach(f -> f.handle((v, e) -> null).join());
    }
  }

  private CompletableFuture<Integer> sealBlock(float[] data, SecretKeySpec frameKey, long index, byte[] slot) {
    int perBlock = FrameCipher.BLOCK_BYTES / Float.BYTES;
    return pool.submit(() -> {
      int off = (int) (index * perBlock);
      int n = Math.min(perBlock, data.length - off);
      byte[] plainBlock = pool.plainBlock();
      ByteBuffer.wrap(plainBlock).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(data, off, n);
      return pool.cipher().seal(frameKey, index, plainBlock, n * Float.BYTES, slot, 0);
    });
  }

  /** The frame through the direct chunk, closed with CRC32C. */
  private void writeChecked(WritableByteChannel channel, byte[] headerBytes, float[] data) throws IOException {
    FrameChecksum seal = crc.start();
    chunk.clear();
    chunk.putInt(TensorFrames.MAGIC).putInt(headerBytes.length);
    for (int off = 0; off < headerBytes.length; ) {
      if (!chunk.hasRemaining()) {
        flush(channel, seal);
      }
      int n = Math.min(chunk.remaining(), headerBytes.length - off);
      chunk.put(headerBytes, off, n);
      off += n;
    }
    for (int off = 0; off < data.length; ) {
      if (chunk.remaining() < Float.BYTES) {
        flush(channel, seal);
      }
      int n = Math.min(chunk.remaining() / Float.BYTES, data.length - off);
      chunk.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(data, off, n);
      chunk.position(chunk.position() + n * Float.BYTES);
      off += n;
    }
    if (chunk.remaining() < FrameChecksum.LENGTH) {
      flush(channel, seal);
    }
    seal.update(chunk.duplicate().flip());
    chunk.put(seal.finish()).flip();
    writeFully(channel, chunk);
  }

  /** Seals and writes what the buffer holds, then empties it. */
  private void flush(WritableByteChannel channel, FrameChecksum seal) throws IOException {
    chunk.flip();
    seal.update(chunk);
    writeFully(channel, chunk);
    chunk.clear();
  }

  static void writeFully(WritableByteChannel channel, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }
}
