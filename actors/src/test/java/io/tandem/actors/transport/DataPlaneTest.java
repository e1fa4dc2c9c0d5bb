package io.tandem.actors.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.actors.coordinator.Coordinator;
import io.tandem.actors.transport.HostTensor;
import io.tandem.actors.JobConfig;
import io.tandem.actors.JobEvent;
import io.tandem.actors.coordinator.ProtoOps;
import io.tandem.actors.worker.SimStageCompute;
import io.tandem.actors.worker.StageWorker;
import io.tandem.actors.transport.TensorTransport;
import io.tandem.actors.cluster.TandemSerializer;
import io.tandem.proto.OpProgram;
import io.tandem.proto.OpRef;
import io.tandem.proto.TensorFrameHeader;
import io.tandem.schedule.Op;
import io.tandem.schedule.OpKind;
import io.tandem.schedule.Schedule;
import io.tandem.schedule.ScheduleRegistry;
import io.tandem.schedule.ScheduleSpec;
import io.tandem.schedule.StageCosts;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import static java.util.concurrent.TimeUnit.SECONDS;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The data plane over loopback TCP: a good frame reaches its worker, a 64 MB tensor and a frame
 * split over many chunks arrive intact, and a corrupted frame, a wrong shape, a frame over the
 * size limit, a frame cut off by its sender, a frame of another job, and an unknown op kind each
 * fail the job with a message naming worker, op, microbatch and step, well within the step
 * timeout.
 */
class DataPlaneTest {
  static final Duration FAIL_WITHIN = Duration.ofSeconds(15);
  static final DataPlaneSettings SETTINGS = DataPlaneSettings.defaults().withAuthenticate(false)
      .withMaxFrameBytes(256 << 20);
  static ActorTestKit receiver;
  static StageDirectory directory;
  static DataPlaneServer server;
  static DataPlaneClient client;

  String jobId;
  ExecutorService executor;
  TestProbe<StageWorker.Command> device0;
  TestProbe<JobEvent> listener;
  ActorRef<StageWorker.Command> worker1;

  @BeforeAll
  static void start() {
    receiver = ActorTestKit.create("receiver");
    directory = new StageDirectory();
    server = DataPlaneServer.bind("127.0.0.1", 0, directory, SETTINGS);
    client = new DataPlaneClient(SETTINGS);
  }

  @AfterAll
  static void stop() {
    client.close();
    server.close();
    receiver.shutdownTestKit();
  }

  /** A 2-device 1f1b job of one microbatch: device 1 is a real worker behind the data plane, device 0 a probe. */
  @BeforeEach
  void startJob() {
    jobId = "dp-" + System.nanoTime();
    Schedule schedule = ScheduleRegistry.generate("1f1b", ScheduleSpec.of(2, 1));
    executor = Executors.newSingleThreadExecutor();
    device0 = receiver.createTestProbe(StageWorker.Command.class);
    listener = receiver.createTestProbe(JobEvent.class);
    worker1 = receiver.spawn(StageWorker.create(jobId, 1, 2, 1, Set.of(1),
        new SimStageCompute(StageCosts.uniform(schedule.costs(), 2, 1), 0), executor, TensorTransport.local()));
    directory.register(jobId, 1, worker1);
    receiver.spawn(Coordinator.forWorkers(new JobConfig(jobId, schedule, 1, 0, Duration.ofSeconds(60)),
        List.of(device0.ref(), worker1), listener.ref()));
    device0.expectMessageClass(StageWorker.Peers.class);
    device0.expectMessageClass(StageWorker.LoadProgram.class);
    device0.expectMessageClass(StageWorker.StartStep.class);
  }

  @AfterEach
  void stopJob() {
    directory.unregister(jobId);
    receiver.stop(worker1);
    executor.shutdownNow();
  }

  TensorFrameHeader activation(String job) {
    return TensorFrameHeader.newBuilder().setJobId(job).setStep(0).setTargetStage(1)
        .setProducer(ProtoOps.toProto(new Op(OpKind.F, 0, 0), 0)).build();
  }

  static HostTensor tensor() {
    return new HostTensor(new int[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6});
  }

  void sendRaw(byte[] frame) {
    client.sendRaw("127.0.0.1", server.port(), frame);
  }

  String expectJobFailed() {
    JobEvent.JobFailed failed = listener.expectMessageClass(JobEvent.JobFailed.class, FAIL_WITHIN);
    String m = failed.message();
    assertTrue(m.contains("step 0") && m.contains("device 1") && m.contains("F0@0") && m.contains("microbatch 0"), m);
    return m;
  }

  @Test
  void goodFrame_reachesWorker_whichSendsItsGradientOn() {
    client.send("127.0.0.1", server.port(), activation(jobId), tensor());
    StageWorker.TensorArrived back = device0.expectMessageClass(StageWorker.TensorArrived.class, FAIL_WITHIN);
    assertTrue(back.header().getGradient());
    assertEquals(0, back.header().getTargetStage());
  }

  @Test
  void encodeDecode_roundTripsShapeAndValues() throws Exception {
    byte[] frame = TensorFrames.encode(activation("j"), tensor(), null);
    FrameReader.Received decoded = (FrameReader.Received) TensorFrames.decode(frame, new StageDirectory());
    assertArrayEquals(tensor().data(), decoded.tensor().data());
    assertArrayEquals(new int[] {2, 3}, decoded.tensor().shape());
    assertEquals(List.of(2L, 3L), decoded.header().getShapeList());
  }

  @Test
  void corruptedPayload_failsJobWithChecksumError() {
    byte[] bytes = TensorFrames.encode(activation(jobId), tensor(), null);
    bytes[bytes.length - 4 - 3] ^= 0x40; // flip one bit of the last float (the CRC32C seal follows it)
    sendRaw(bytes);
    assertTrue(expectJobFailed().contains("checksum mismatch"));
  }

  @Test
  void wrongShape_failsJobWithShapeError() {
    ByteBuffer payload = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    payload.asFloatBuffer().put(tensor().data());
    TensorFrameHeader h = activation(jobId).toBuilder().addShape(4).addShape(3).setPayloadBytes(24).build();
    sendRaw(rawFrame(h, payload.array()));
    assertTrue(expectJobFailed().contains("shape [4, 3] needs 48 payload bytes, frame has 24"));
  }

  @Test
  void frameOfAnotherJob_failsJobNamingBothJobs() {
    client.send("127.0.0.1", server.port(), activation("some-other-job"), tensor());
    String m = expectJobFailed();
    assertTrue(m.contains("some-other-job"), m);
  }

  @Test
  void unknownOpKind_afterCrossingTheWire_failsTheStepNamingIt() throws Exception {
    TandemSerializer serializer = new TandemSerializer((ExtendedActorSystem) Adapter.toClassic(receiver.system()));
    TestProbe<StageWorker.Reply> replies = receiver.createTestProbe(StageWorker.Reply.class);
    OpProgram program = OpProgram.newBuilder().setJobId(jobId).setStep(3).setDevice(1)
        .addOps(OpRef.newBuilder().setKindValue(99).setMicrobatch(5).setVirtualStage(1)).build();
    StageWorker.RunStep run = new StageWorker.RunStep(program, replies.ref());
    Object decoded = serializer.fromBinary(serializer.toBinary(run), serializer.manifest(run));
    worker1.tell((StageWorker.RunStep) decoded);
    StageWorker.StepFailed failed = replies.expectMessageClass(StageWorker.StepFailed.class, FAIL_WITHIN);
    String m = failed.error().getMessage();
    assertTrue(m.contains("unknown op kind 99") && m.contains("microbatch 5"), m);
    assertEquals(3, failed.error().getStep());
    assertTrue(failed.error().getWorker().contains("device 1"), failed.error().getWorker());
  }

  /** A frame of the given parts, sealed with CRC32C over all of it (any header, any payload). */
  static byte[] rawFrame(TensorFrameHeader h, byte[] payload) {
    byte[] header = h.toByteArray();
    ByteBuffer b = ByteBuffer.allocate(TensorFrames.PREFIX_BYTES + header.length + payload.length + 4);
    b.putInt(TensorFrames.MAGIC).putInt(header.length).put(header).put(payload);
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(b.array(), 0, b.position());
    b.putInt((int) crc.getValue());
    return b.array();
  }

  static HostTensor pattern(int floats) {
    float[] data = new float[floats];
    for (int i = 0; i < floats; i++) {
      data[i] = i * 0.5f - 7;
    }
    return new HostTensor(new int[] {floats}, data);
  }

  @Test
  void tensorOf64MB_arrivesIntact() {
    TestProbe<StageWorker.Command> big = receiver.createTestProbe(StageWorker.Command.class);
    directory.register("big-" + jobId, 1, big.ref());
    HostTensor sent = pattern(16 << 20);
    client.send("127.0.0.1", server.port(), activation("big-" + jobId), sent);
    StageWorker.TensorArrived got = big.expectMessageClass(StageWorker.TensorArrived.class, Duration.ofSeconds(60));
    assertArrayEquals(sent.data(), got.tensor().data());
    assertEquals(4L * sent.elements(), got.header().getPayloadBytes());
    directory.unregister("big-" + jobId);
  }

  @Test
  void frameStreamedInSmallChunks_arrivesIntact() throws Exception {
    DataPlaneSettings small = SETTINGS.withChunkBytes(4096);
    TestProbe<StageWorker.Command> probe = receiver.createTestProbe(StageWorker.Command.class);
    directory.register("chunks-" + jobId, 1, probe.ref());
    try (DataPlaneServer s = DataPlaneServer.bind("127.0.0.1", 0, directory, small);
         DataPlaneClient c = new DataPlaneClient(small)) {
      HostTensor sent = pattern(300_001); // 1.2 MB: about 300 chunks each way
      c.send("127.0.0.1", s.port(), activation("chunks-" + jobId), sent).toCompletableFuture().get(30, SECONDS);
      StageWorker.TensorArrived got = probe.expectMessageClass(StageWorker.TensorArrived.class, FAIL_WITHIN);
      assertArrayEquals(sent.data(), got.tensor().data());
    } finally {
      directory.unregister("chunks-" + jobId);
    }
  }

  @Test
  void frameReadAFewBytesAtATime_reassembles() throws Exception {
    HostTensor sent = pattern(10_007);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    new FrameWriter(4096, Long.MAX_VALUE).write(Channels.newChannel(out), activation("j"), sent, null);
    byte[] frame = out.toByteArray();
    java.io.InputStream in = new java.io.ByteArrayInputStream(frame);
    ReadableByteChannel trickle = new ReadableByteChannel() {
      @Override
      public int read(ByteBuffer dst) throws java.io.IOException {
        int n = Math.min(dst.remaining(), 7);
        byte[] b = in.readNBytes(n);
        dst.put(b);
        return b.length == 0 && n > 0 ? -1 : b.length;
      }

      @Override
      public boolean isOpen() {
        return true;
      }

      @Override
      public void close() {}
    };
    FrameReader reader = new FrameReader(trickle, new StageDirectory(), 4096, Long.MAX_VALUE);
    FrameReader.Received got = (FrameReader.Received) reader.next();
    assertArrayEquals(sent.data(), got.tensor().data());
    assertEquals(null, reader.next()); // a clean end between frames
  }

  @Test
  void frameOverTheReceiversLimit_failsJobNamingSizeAndLimit() throws Exception {
    DataPlaneSettings tight = SETTINGS.withMaxFrameBytes(1 << 20);
    try (DataPlaneServer s = DataPlaneServer.bind("127.0.0.1", 0, directory, tight)) {
      client.send("127.0.0.1", s.port(), activation(jobId), pattern(1 << 19)); // 2 MiB
      String m = expectJobFailed();
      assertTrue(m.matches("(?s).*tensor frame of 20971\\d\\d bytes exceeds the data plane limit of 1048576 bytes.*"), m);
      assertTrue(!m.contains("\n"), m);
    }
  }

  @Test
  void frameOverTheSendersLimit_failsTheSendNamingSizeAndLimit() {
    try (DataPlaneClient c = new DataPlaneClient(SETTINGS.withMaxFrameBytes(1 << 20))) {
      var sent = c.send("127.0.0.1", server.port(), activation(jobId), pattern(1 << 19)).toCompletableFuture();
      var e = org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
          () -> sent.get(30, SECONDS));
      String m = e.getCause().getMessage();
      assertTrue(m.matches("tensor frame of 20971\\d\\d bytes exceeds the data plane limit of 1048576 bytes.*"), m);
    }
  }

  @Test
  void headerClaimingMoreThan2GiB_isRejectedOnItsSizeWithoutReadingIt() throws Exception {
    long payload = 3L << 30;
    TensorFrameHeader h = activation("j").toBuilder().addShape(payload / 4).setPayloadBytes(payload).build();
    byte[] header = h.toByteArray();
    byte[] frame = ByteBuffer.allocate(TensorFrames.PREFIX_BYTES + header.length).putInt(TensorFrames.MAGIC)
        .putInt(header.length).put(header).array();
    FrameReader reader = new FrameReader(Channels.newChannel(new java.io.ByteArrayInputStream(frame)),
        new StageDirectory(), 4096, 1L << 30);
    FrameReader.Rejected r = (FrameReader.Rejected) reader.next();
    assertEquals("tensor frame of " + TensorFrames.frameBytes(header.length, payload, false)
        + " bytes exceeds the data plane limit of 1073741824 bytes (tandem.cluster.data-plane.max-frame-size)", r.reason());
    assertTrue(r.connectionLost());
    assertTrue(TensorFrames.frameBytes(header.length, payload, true) > Integer.MAX_VALUE);
  }

  @Test
  void frameCutOffByItsSender_failsJobInsteadOfHanging() throws Exception {
    byte[] frame = TensorFrames.encode(activation(jobId), pattern(100_000), null);
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
      socket.getOutputStream().write(frame, 0, frame.length / 2);
    }
    assertTrue(expectJobFailed().contains("connection lost after"));
  }
}
