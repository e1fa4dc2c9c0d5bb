package io.tandem.actors.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Every case of {@link FrameSealTest} with the blocks sealed and opened by a {@link SealPool} of
 * two threads (four blocks in flight), plus frames of many more blocks than that, so that the
 * slots are reused: the bytes on the wire are the same as a single thread's (either side reads
 * the other's frames), and a bad block is still named first in block order.
 */
class ParallelFrameSealTest extends FrameSealTest {
  private final SealPool pool = new SealPool(2, "test-seal");

  @Override
  SealPool pool() {
    return pool;
  }

  /** 19.5 blocks: the four slots are each used five times. */
  static HostTensor large() {
    int n = (BLOCK * 39 / 2) / Float.BYTES;
    float[] data = new float[n];
    for (int i = 0; i < n; i++) {
      data[i] = (i % 9973) * 0.5f - i * 1e-3f;
    }
    return new HostTensor(new int[] {n}, data);
  }

  @Test
  void aFrameOfManyBlocks_roundTrips_andEitherSideReadsTheOthersFrames() throws Exception {
    assertTrue(pool.parallel());
    assertEquals(4, pool.window());
    HostTensor sent = large();
    byte[] parallel = encode(header(), sent, KEY);
    ByteArrayOutputStream single = new ByteArrayOutputStream();
    new FrameWriter(8192, Long.MAX_VALUE).write(Channels.newChannel(single), header(), sent, KEY);
    assertEquals(single.size(), parallel.length);
    assertArrayEquals(sent.data(), assertInstanceOf(FrameReader.Received.class, read(parallel)).tensor().data());
    assertArrayEquals(sent.data(),
        assertInstanceOf(FrameReader.Received.class, read(single.toByteArray())).tensor().data());
    FrameReader singleReader = new FrameReader(Channels.newChannel(new ByteArrayInputStream(parallel)), directory(),
        8192, Long.MAX_VALUE);
    assertArrayEquals(sent.data(), assertInstanceOf(FrameReader.Received.class, singleReader.next()).tensor().data());
  }

  @Test
  void aBadBlockBeyondTheFirstWindow_isNamed_andTheNextFrameIsRead() throws Exception {
    HostTensor sent = large();
    byte[] bad = encode(header(), sent, KEY);
    bad[block(bad, 13) + 77] ^= 0x10;
    bad[block(bad, 15) + 5] ^= 0x10; // a later bad block in flight at the same time is not the one named
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(bad);
    out.write(encode(header(), sent, KEY));
    FrameReader reader = reader(out.toByteArray());
    String reason = rejected(reader.next());
    assertTrue(reason.startsWith("payload block 13 of 20 (bytes 3407872..3670016) fails its AES-GCM tag"), reason);
    assertArrayEquals(sent.data(), assertInstanceOf(FrameReader.Received.class, reader.next()).tensor().data());
    assertNull(reader.next());
  }

  @Test
  void aFrameCutOffAfterManyBlocks_isRejectedAsCutOff() throws Exception {
    byte[] frame = encode(header(), large(), KEY);
    FrameReader.Rejected cut = assertInstanceOf(FrameReader.Rejected.class,
        read(Arrays.copyOf(frame, block(frame, 11) + 100)));
    assertTrue(cut.connectionLost());
    assertTrue(cut.reason().startsWith("connection lost after " + (11L * BLOCK + 100) + " of " + large().bytes()
        + " payload bytes"), cut.reason());
    assertFalse(cut.reason().contains("\n"));
  }
}
