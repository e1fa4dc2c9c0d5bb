package io.tandem.actors.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.proto.TensorFrameHeader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The AES-GCM seal of signed frames ({@link FrameCipher}), byte by byte: a frame comes back
 * intact only as it was sent; a changed payload byte, tag or header, a frame cut off, sealed
 * under another key, from an older version, or with its blocks moved, repeated or taken from
 * another frame is turned away with one line, and the reader can go on with the next frame.
 * {@link ParallelFrameSealTest} runs every case again with the blocks sealed and opened by a
 * {@link SealPool}.
 */
class FrameSealTest {
  static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  static final int BLOCK = FrameCipher.BLOCK_BYTES;
  static final int TAG = FrameCipher.TAG_BYTES;

  static StageDirectory directory() {
    StageDirectory d = new StageDirectory(true);
    d.authorize("j", KEY);
    return d;
  }

  static TensorFrameHeader header() {
    return TensorFrameHeader.newBuilder().setJobId("j").setStep(3).setTargetStage(1).build();
  }

  /** 2.5 blocks of distinct values. */
  static HostTensor tensor() {
    int n = (BLOCK * 5 / 2) / Float.BYTES;
    float[] data = new float[n];
    for (int i = 0; i < n; i++) {
      data[i] = i * 0.25f - 7;
    }
    return new HostTensor(new int[] {n}, data);
  }

  /** Who seals and opens the blocks: null here (each reader's and writer's own thread). */
  SealPool pool() {
    return null;
  }

  byte[] encode(TensorFrameHeader header, HostTensor tensor, byte[] key) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      new FrameWriter(8192, Long.MAX_VALUE, pool()).write(Channels.newChannel(out), header, tensor, key);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  FrameReader.Result read(byte[] bytes) throws Exception {
    return reader(bytes).next();
  }

  /** Offset of the first payload byte (after prefix and header). */
  static int payloadStart(byte[] frame) {
    return TensorFrames.PREFIX_BYTES + ByteBuffer.wrap(frame).getInt(4);
  }

  /** Offset of block {@code i} (its ciphertext, then its tag). */
  static int block(byte[] frame, int i) {
    return payloadStart(frame) + i * (BLOCK + TAG);
  }

  static String rejected(FrameReader.Result r) {
    FrameReader.Rejected rejected = assertInstanceOf(FrameReader.Rejected.class, r);
    assertFalse(rejected.reason().contains("\n"), rejected.reason());
    return rejected.reason();
  }

  @Test
  void signedFrame_roundTripsAndIsSizedAsDeclared() throws Exception {
    HostTensor sent = tensor();
    byte[] frame = encode(header(), sent, KEY);
    int headerLength = ByteBuffer.wrap(frame).getInt(4);
    assertEquals(TensorFrames.frameBytes(headerLength, sent.bytes(), true), frame.length);
    assertEquals(3, FrameCipher.blocks(sent.bytes()));
    assertEquals(TensorFrames.MAGIC, ByteBuffer.wrap(frame).getInt());
    FrameReader.Received got = assertInstanceOf(FrameReader.Received.class, read(frame));
    assertArrayEquals(sent.data(), got.tensor().data());
    assertEquals(FrameCipher.SALT_BYTES, got.header().getSealSalt().size());
  }

  @Test
  void emptyTensor_roundTripsWithOneEmptyBlock() throws Exception {
    HostTensor empty = new HostTensor(new int[] {0}, new float[0]);
    byte[] frame = encode(header(), empty, KEY);
    assertEquals(payloadStart(frame) + TAG, frame.length);
    assertEquals(0, assertInstanceOf(FrameReader.Received.class, read(frame)).tensor().elements());
    frame[frame.length - 1] ^= 1;
    assertTrue(rejected(read(frame)).contains("payload block 0 of 1"));
  }

  @Test
  void everyFrameHasItsOwnSalt_andThePayloadIsNotInTheClear() throws Exception {
    HostTensor sent = tensor();
    byte[] a = encode(header(), sent, KEY);
    byte[] b = encode(header(), sent, KEY);
    TensorFrameHeader ha = ((FrameReader.Received) read(a)).header();
    TensorFrameHeader hb = ((FrameReader.Received) read(b)).header();
    assertNotEquals(ha.getSealSalt(), hb.getSealSalt());
    assertFalse(Arrays.equals(Arrays.copyOfRange(a, block(a, 0), block(a, 1)),
        Arrays.copyOfRange(b, block(b, 0), block(b, 1))), "same tensor, same ciphertext: a (key, nonce) pair was reused");
    byte[] plain = new byte[64];
    ByteBuffer.wrap(plain).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(sent.data(), 1000, 16);
    assertEquals(-1, indexOf(a, plain), "the payload travels in the clear");
  }

  @Test
  void corruptedPayloadByte_isRejectedNamingItsBlock() throws Exception {
    byte[] frame = encode(header(), tensor(), KEY);
    frame[block(frame, 1) + 12345] ^= 0x01;
    String reason = rejected(read(frame));
    assertTrue(reason.startsWith("payload block 1 of 3 (bytes 262144..524288) fails its AES-GCM tag"), reason);
  }

  @Test
  void corruptedTag_isRejected() throws Exception {
    byte[] frame = encode(header(), tensor(), KEY);
    frame[frame.length - 3] ^= 0x40;
    assertTrue(rejected(read(frame)).startsWith("payload block 2 of 3"));
  }

  @Test
  void corruptedHeader_isRefusedAsNotFromAMember() throws Exception {
    byte[] frame = encode(header(), tensor(), KEY);
    TensorFrameHeader h = ((FrameReader.Received) read(frame)).header();
    int salt = indexOf(frame, h.getSealSalt().toByteArray());
    assertTrue(salt > 0 && salt < payloadStart(frame));
    frame[salt + 3] ^= 0x01; // still a readable header, but not the one that was signed
    FrameReader.Refused refused = assertInstanceOf(FrameReader.Refused.class, read(frame));
    assertFalse(refused.connectionLost()); // the rest of the frame was skipped: the stream is still in step
  }

  @Test
  void frameSealedUnderAnotherKey_isRefused() throws Exception {
    byte[] other = KEY.clone();
    other[7] ^= 0x20;
    assertInstanceOf(FrameReader.Refused.class, read(encode(header(), tensor(), other)));
  }

  @Test
  void truncatedFrame_isRejectedAsCutOff() throws Exception {
    byte[] frame = encode(header(), tensor(), KEY);
    FrameReader.Rejected cut = assertInstanceOf(FrameReader.Rejected.class,
        read(Arrays.copyOf(frame, block(frame, 2) + 100)));
    assertTrue(cut.connectionLost());
    assertTrue(cut.reason().startsWith("connection lost after 524388 of 655360 payload bytes"), cut.reason());
    FrameReader.Rejected noLastTag = assertInstanceOf(FrameReader.Rejected.class,
        read(Arrays.copyOf(frame, frame.length - 1)));
    assertTrue(noLastTag.connectionLost() && noLastTag.reason().startsWith("connection lost after"));
  }

  @Test
  void swappedBlocks_areRejected() throws Exception {
    byte[] frame = encode(header(), tensor(), KEY);
    byte[] swapped = frame.clone();
    System.arraycopy(frame, block(frame, 1), swapped, block(frame, 0), BLOCK + TAG);
    System.arraycopy(frame, block(frame, 0), swapped, block(frame, 1), BLOCK + TAG);
    assertTrue(rejected(read(swapped)).startsWith("payload block 0 of 3"));
  }

  @Test
  void replayedBlock_isRejected() throws Exception {
    byte[] frame = encode(header(), tensor(), KEY);
    System.arraycopy(frame, block(frame, 0), frame, block(frame, 1), BLOCK + TAG);
    assertTrue(rejected(read(frame)).startsWith("payload block 1 of 3"));
  }

  @Test
  void blockFromAnotherFrameOfTheSameJob_isRejected() throws Exception {
    byte[] a = encode(header(), tensor(), KEY);
    byte[] b = encode(header(), tensor(), KEY);
    System.arraycopy(b, block(b, 1), a, block(a, 1), BLOCK + TAG);
    assertTrue(rejected(read(a)).startsWith("payload block 1 of 3"));
  }

  @Test
  void frameOfTheOlderHmacFormat_isRejectedNamingTheVersion() throws Exception {
    byte[] frame = encode(header(), tensor(), KEY);
    ByteBuffer.wrap(frame).putInt(0, TensorFrames.MAGIC_V2);
    FrameReader.Rejected r = assertInstanceOf(FrameReader.Rejected.class, read(frame));
    assertTrue(r.connectionLost());
    assertTrue(r.reason().startsWith("frame of an older tandem version (format 54445032, this node reads 54445033)"),
        r.reason());
  }

  @Test
  void signedFrameWithoutSalt_isRejected() throws Exception {
    byte[] frame = encode(header(), tensor(), KEY);
    int start = payloadStart(frame);
    TensorFrameHeader h = TensorFrameHeader.parseFrom(Arrays.copyOfRange(frame, TensorFrames.PREFIX_BYTES, start));
    byte[] unsalted = TensorFrames.sign(h.toBuilder().clearMac().clearSealSalt().build(), KEY).toByteArray();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(ByteBuffer.allocate(8).putInt(TensorFrames.MAGIC).putInt(unsalted.length).array());
    out.write(unsalted);
    out.write(frame, start, frame.length - start);
    out.write(encode(header(), tensor(), KEY));
    FrameReader reader = reader(out.toByteArray());
    assertEquals("signed frame with a seal salt of 0 bytes, not 16", rejected(reader.next()));
    assertInstanceOf(FrameReader.Received.class, reader.next());
  }

  @Test
  void afterARejectedBlock_theNextFrameOnTheSameStreamIsRead() throws Exception {
    HostTensor sent = tensor();
    byte[] bad = encode(header(), sent, KEY);
    bad[block(bad, 0) + 5] ^= 0x08;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(bad);
    out.write(encode(header(), sent, KEY));
    FrameReader reader = reader(out.toByteArray());
    FrameReader.Rejected r = assertInstanceOf(FrameReader.Rejected.class, reader.next());
    assertFalse(r.connectionLost());
    assertArrayEquals(sent.data(), assertInstanceOf(FrameReader.Received.class, reader.next()).tensor().data());
    assertNull(reader.next());
  }

  FrameReader reader(byte[] stream) {
    return new FrameReader(Channels.newChannel(new ByteArrayInputStream(stream)), directory(), 8192, Long.MAX_VALUE,
        pool());
  }

  static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
