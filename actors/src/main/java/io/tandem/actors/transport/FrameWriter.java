package io.tandem.actors.transport;

import io.tandem.actors.transport.HostTensor;
import io.tandem.proto.TensorFrameHeader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;

/**
 * Writes tensor frames ({@link TensorFrames}) onto a blocking channel through one reused direct
 * buffer: the tensor's floats are copied into it chunk by chunk, sealed and written, so a frame
 * costs one copy in user space whatever its size. One per writing thread.
 */
final class FrameWriter {
  private final ByteBuffer chunk;
  private final long maxFrameBytes;
  private final FrameSeal.Hmac hmac = new FrameSeal.Hmac();
  private final FrameSeal.Crc crc = new FrameSeal.Crc();

  /** Thrown before anything is written: the frame is over the limit (the connection stays usable). */
  static final class FrameTooLarge extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    FrameTooLarge(String message) {
      super(message);
    }
  }

  FrameWriter(int chunkBytes, long maxFrameBytes) {
    this.chunk = ByteBuffer.allocateDirect(chunkBytes);
    this.maxFrameBytes = maxFrameBytes;
  }

  /**
   * Writes {@code tensor} with {@code header} (shape and size filled in), signed and sealed with
   * {@code key} (null: unsigned, sealed with CRC32C).
   *
   * @return the frame's size in bytes
   * @throws FrameTooLarge over the limit, before writing anything
   */
  long write(WritableByteChannel channel, TensorFrameHeader header, HostTensor tensor, byte[] key)
      throws IOException {
    TensorFrameHeader.Builder h = header.toBuilder().clearShape().clearMac().clearCrc32C()
        .setPayloadBytes(tensor.bytes());
    for (int d : tensor.shape()) {
      h.addShape(d);
    }
    byte[] headerBytes = (key == null ? h.build() : TensorFrames.sign(h.build(), key)).toByteArray();
    long frameBytes = TensorFrames.frameBytes(headerBytes.length, tensor.bytes(), key != null);
    if (frameBytes > maxFrameBytes) {
      throw new FrameTooLarge(TensorFrames.tooLarge(frameBytes, maxFrameBytes));
    }
    FrameSeal seal = key == null ? crc.start() : hmac.start(key);
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
    float[] data = tensor.data();
    for (int off = 0; off < data.length; ) {
      if (chunk.remaining() < Float.BYTES) {
        flush(channel, seal);
      }
      int n = Math.min(chunk.remaining() / Float.BYTES, data.length - off);
      chunk.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(data, off, n);
      chunk.position(chunk.position() + n * Float.BYTES);
      off += n;
    }
    if (chunk.remaining() < seal.length()) {
      flush(channel, seal);
    }
    seal.update(chunk.duplicate().flip());
    chunk.put(seal.finish()).flip();
    writeFully(channel, chunk);
    return frameBytes;
  }

  /** Seals and writes what the buffer holds, then empties it. */
  private void flush(WritableByteChannel channel, FrameSeal seal) throws IOException {
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
