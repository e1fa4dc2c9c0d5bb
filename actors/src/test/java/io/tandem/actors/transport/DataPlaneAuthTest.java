package io.tandem.actors.transport;

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
import io.tandem.proto.TensorFrameHeader;
import io.tandem.schedule.Op;
import io.tandem.schedule.OpKind;
import io.tandem.schedule.Schedule;
import io.tandem.schedule.ScheduleRegistry;
import io.tandem.schedule.ScheduleSpec;
import io.tandem.schedule.StageCosts;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An authenticating data plane: only frames signed with the key of a job running on the node
 * reach a worker; unsigned or wrongly signed frames, and frames of jobs the node does not run,
 * are dropped without failing the job; peers that are not allowed cannot even connect. A signed
 * frame whose payload changed on the way fails its step (the AES-GCM seal covers the payload), and a
 * client with authentication off sends unsigned frames.
 */
class DataPlaneAuthTest {
  static final Duration WITHIN = Duration.ofSeconds(15);
  static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  static final DataPlaneSettings SETTINGS = DataPlaneSettings.defaults().withMaxFrameBytes(64 << 20);
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
    receiver = ActorTestKit.create("auth-receiver");
    directory = new StageDirectory(true);
    server = DataPlaneServer.bind("127.0.0.1", 0, directory, SETTINGS);
    client = new DataPlaneClient(SETTINGS);
  }

  @AfterAll
  static void stop() {
    client.close();
    server.close();
    receiver.shutdownTestKit();
  }

  @BeforeEach
  void startJob() {
    jobId = "auth-" + System.nanoTime();
    Schedule schedule = ScheduleRegistry.generate("1f1b", ScheduleSpec.of(2, 1));
    executor = Executors.newSingleThreadExecutor();
    device0 = receiver.createTestProbe(StageWorker.Command.class);
    listener = receiver.createTestProbe(JobEvent.class);
    worker1 = receiver.spawn(StageWorker.create(jobId, 1, 2, 1, Set.of(1),
        new SimStageCompute(StageCosts.uniform(schedule.costs(), 2, 1), 0), executor, TensorTransport.local()));
    directory.register(jobId, 1, worker1);
    directory.authorize(jobId, KEY);
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

  void expectRefusedAndJobUntouched(long before) {
    awaitAtLeast(server::refusedFrames, before + 1);
    device0.expectNoMessage(Duration.ofMillis(300));
    listener.expectNoMessage(Duration.ofMillis(10));
    // a member's frame still goes through afterwards: the job was not disturbed
    client.send("127.0.0.1", server.port(), activation(jobId), tensor(), KEY);
    assertTrue(device0.expectMessageClass(StageWorker.TensorArrived.class, WITHIN).header().getGradient());
  }

  static void awaitAtLeast(LongSupplier counter, long n) {
    long deadline = System.nanoTime() + WITHIN.toNanos();
    while (counter.getAsLong() < n && System.nanoTime() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    assertTrue(counter.getAsLong() >= n, "counter reached " + counter.getAsLong() + ", expected " + n);
  }

  @Test
  void frameSignedWithTheJobsKey_reachesTheWorker() {
    client.send("127.0.0.1", server.port(), activation(jobId), tensor(), KEY);
    StageWorker.TensorArrived back = device0.expectMessageClass(StageWorker.TensorArrived.class, WITHIN);
    assertEquals(0, back.header().getTargetStage());
  }

  @Test
  void unsignedFrame_isRefusedWithoutFailingTheJob() {
    long before = server.refusedFrames();
    client.send("127.0.0.1", server.port(), activation(jobId), tensor());
    expectRefusedAndJobUntouched(before);
  }

  @Test
  void frameSignedWithAnotherKey_isRefused() {
    long before = server.refusedFrames();
    byte[] other = KEY.clone();
    other[0] ^= 1;
    client.send("127.0.0.1", server.port(), activation(jobId), tensor(), other);
    expectRefusedAndJobUntouched(before);
  }

  @Test
  void frameOfAJobThisNodeDoesNotRun_isRefused() {
    long before = server.refusedFrames();
    client.send("127.0.0.1", server.port(), activation("not-here"), tensor(), KEY);
    expectRefusedAndJobUntouched(before);
  }

  @Test
  void peerThatIsNotAllowed_cannotConnect() {
    DataPlaneServer closed = DataPlaneServer.bind("127.0.0.1", 0, directory, SETTINGS, peer -> false);
    try {
      client.send("127.0.0.1", closed.port(), activation(jobId), tensor(), KEY);
      awaitAtLeast(closed::refusedConnections, 1);
      assertEquals(0, closed.refusedFrames());
      device0.expectNoMessage(Duration.ofMillis(300));
    } finally {
      closed.close();
    }
  }

  @Test
  void signedFrameWithACorruptedPayloadByte_failsTheStep() {
    byte[] frame = TensorFrames.encode(activation(jobId), tensor(), KEY);
    frame[frame.length - FrameCipher.TAG_BYTES - 5] ^= 0x01; // a payload byte (its block's 16-byte tag follows)
    client.sendRaw("127.0.0.1", server.port(), frame);
    JobEvent.JobFailed failed = listener.expectMessageClass(JobEvent.JobFailed.class, WITHIN);
    assertTrue(failed.message().contains("payload block 0 of 1 (bytes 0..24) fails its AES-GCM tag"), failed.message());
  }

  @Test
  void authenticationOff_sendsUnsignedFramesThatAnAuthenticatingNodeRefuses() {
    long before = server.refusedFrames();
    try (DataPlaneClient off = new DataPlaneClient(SETTINGS.withAuthenticate(false))) {
      off.send("127.0.0.1", server.port(), activation(jobId), tensor(), KEY);
      expectRefusedAndJobUntouched(before);
    }
  }

  @Test
  void signedTensorOf16MB_arrivesIntact() {
    TestProbe<StageWorker.Command> big = receiver.createTestProbe(StageWorker.Command.class);
    String job = "big-" + jobId;
    directory.register(job, 1, big.ref());
    directory.authorize(job, KEY);
    HostTensor sent = DataPlaneTest.pattern(4 << 20);
    client.send("127.0.0.1", server.port(), activation(job), sent, KEY);
    StageWorker.TensorArrived got = big.expectMessageClass(StageWorker.TensorArrived.class, Duration.ofSeconds(60));
    org.junit.jupiter.api.Assertions.assertArrayEquals(sent.data(), got.tensor().data());
    directory.unregister(job);
  }

  @Test
  void signedTensorsSealedByThreePoolThreads_arriveIntactAndInOrder() {
    DataPlaneSettings pooled = SETTINGS.withSealThreads(3);
    TestProbe<StageWorker.Command> big = receiver.createTestProbe(StageWorker.Command.class);
    String job = "pooled-" + jobId;
    StageDirectory pooledDirectory = new StageDirectory(true);
    pooledDirectory.register(job, 1, big.ref());
    pooledDirectory.authorize(job, KEY);
    try (DataPlaneServer pooledServer = DataPlaneServer.bind("127.0.0.1", 0, pooledDirectory, pooled);
         DataPlaneClient pooledClient = new DataPlaneClient(pooled)) {
      List<HostTensor> sent = List.of(DataPlaneTest.pattern(4 << 20), tensor(), DataPlaneTest.pattern((1 << 18) + 7),
          DataPlaneTest.pattern(3 << 20));
      for (HostTensor t : sent) { // one connection: frames of 64, 1, 5 and 48 blocks back to back
        pooledClient.send("127.0.0.1", pooledServer.port(), activation(job), t, KEY);
      }
      for (HostTensor t : sent) {
        StageWorker.TensorArrived got = big.expectMessageClass(StageWorker.TensorArrived.class, Duration.ofSeconds(60));
        org.junit.jupiter.api.Assertions.assertArrayEquals(t.data(), got.tensor().data());
      }
    }
  }
}
