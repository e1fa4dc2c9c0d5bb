package io.tandem.actors.dataplane;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.actors.Coordinator;
import io.tandem.actors.HostTensor;
import io.tandem.actors.JobConfig;
import io.tandem.actors.JobEvent;
import io.tandem.actors.ProtoOps;
import io.tandem.actors.SimStageCompute;
import io.tandem.actors.StageWorker;
import io.tandem.actors.TensorTransport;
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
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The data plane between two actor systems over loopback TCP: a good frame reaches its worker,
 * and a corrupted frame, a wrong shape, a frame of another job, and an unknown op kind each fail
 * the job with a message naming worker, op, microbatch and step, well within the step timeout.
 */
class DataPlaneTest {
  static final Duration FAIL_WITHIN = Duration.ofSeconds(15);
  static ActorTestKit receiver;
  static ActorSystem<Void> sender;
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
    sender = ActorSystem.create(Behaviors.empty(), "sender");
    directory = new StageDirectory();
    server = DataPlaneServer.bind(receiver.system(), "127.0.0.1", 0, directory, 64 << 20, Duration.ofSeconds(10));
    client = new DataPlaneClient(sender, 4);
  }

  @AfterAll
  static void stop() {
    client.close();
    server.close();
    ActorTestKit.shutdown(sender);
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
    device0.expectMessageClass(StageWorker.RunStep.class);
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

  void sendRaw(ByteString frame) {
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
    ByteString frame = TensorFrames.encode(activation("j"), tensor());
    TensorFrames.Frame decoded = TensorFrames.decode(frame);
    assertArrayEquals(tensor().data(), decoded.tensor().data());
    assertArrayEquals(new int[] {2, 3}, decoded.tensor().shape());
    assertEquals(List.of(2L, 3L), decoded.header().getShapeList());
  }

  @Test
  void corruptedPayload_failsJobWithChecksumError() {
    byte[] bytes = TensorFrames.encode(activation(jobId), tensor()).toArray();
    bytes[bytes.length - 3] ^= 0x40; // flip one bit of the last float
    sendRaw(ByteString.fromArray(bytes));
    assertTrue(expectJobFailed().contains("checksum mismatch"));
  }

  @Test
  void wrongShape_failsJobWithShapeError() {
    ByteBuffer payload = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    payload.asFloatBuffer().put(tensor().data());
    TensorFrameHeader h = activation(jobId).toBuilder().addShape(4).addShape(3).setPayloadBytes(24)
        .setCrc32C(TensorFrames.crc32c(payload)).build();
    sendRaw(TensorFrames.frame(h.toByteArray(), payload.array()));
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
}
