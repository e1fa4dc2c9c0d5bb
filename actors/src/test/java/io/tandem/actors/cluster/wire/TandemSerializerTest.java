package io.tandem.actors.cluster.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.actors.JobEvent;
import io.tandem.actors.worker.StageWorker;
import io.tandem.actors.cluster.JobMaster;
import io.tandem.actors.cluster.NodeAgent;
import io.tandem.actors.cluster.TandemSerializer;
import io.tandem.proto.TensorFrameHeader;
import io.tandem.proto.WorkerProtocol;
import java.io.NotSerializableException;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bad input to {@link TandemSerializer}: truncated or garbage bytes, an unknown manifest and
 * missing fields give an exception naming the manifest and what is wrong (Pekko logs it and drops
 * the message; the receiver goes on), and every public message type of the cross-JVM protocols
 * is bound.
 */
class TandemSerializerTest {
  private static ActorTestKit kit;
  private static TandemSerializer serializer;
  private static StageWorker.RunStep runStep;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create(WireSamples.SYSTEM);
    serializer = new TandemSerializer((ExtendedActorSystem) Adapter.toClassic(kit.system()));
    runStep = (StageWorker.RunStep) WireSamples.all(ActorRefResolver.get(kit.system())).get("W.RunStep");
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void truncatedBytes_nameTheManifestAndTheTruncation() {
    byte[] full = serializer.toBinary(runStep);
    byte[] cut = Arrays.copyOf(full, full.length - 5);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> serializer.fromBinary(cut, "W.RunStep"));
    assertTrue(e.getMessage().startsWith("cannot decode W.RunStep (tandem.WorkerProtocol.RunStep, "
        + cut.length + " bytes): not a valid protobuf encoding"), e.getMessage());
    assertTrue(e.getMessage().contains("ended unexpectedly"), e.getMessage());
  }

  @Test
  void garbageBytes_nameTheManifestAndTheProblem() {
    byte[] garbage = "this is not protobuf".getBytes(StandardCharsets.US_ASCII);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> serializer.fromBinary(garbage, "N.SpawnWorkers"));
    assertTrue(e.getMessage().startsWith("cannot decode N.SpawnWorkers (tandem.AgentProtocol.SpawnWorkers, 20 bytes): "
        + "not a valid protobuf encoding"), e.getMessage());
  }

  @Test
  void bytesOfAnotherMessage_nameTheMissingField() {
    byte[] abort = serializer.toBinary(new StageWorker.AbortStep(3));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> serializer.fromBinary(abort, "W.RunStep"));
    assertEquals("cannot decode W.RunStep (tandem.WorkerProtocol.RunStep, " + abort.length + " bytes): program is missing",
        e.getMessage());
    byte[] noReplyTo = WorkerProtocol.RunStep.newBuilder().setProgram(runStep.program()).build().toByteArray();
    e = assertThrows(IllegalArgumentException.class, () -> serializer.fromBinary(noReplyTo, "W.RunStep"));
    assertTrue(e.getMessage().endsWith("reply_to (an actor ref) is missing"), e.getMessage());
    byte[] emptyPeer = WorkerProtocol.Peers.newBuilder().addOwnerOfStage("pekko://x/user/a").addOwnerOfStage("")
        .build().toByteArray();
    e = assertThrows(IllegalArgumentException.class, () -> serializer.fromBinary(emptyPeer, "W.Peers"));
    assertTrue(e.getMessage().endsWith("owner_of_stage[1] (an actor ref) is missing"), e.getMessage());
  }

  @Test
  void unknownManifest_isNotSerializableNamingIt() {
    NotSerializableException e = assertThrows(NotSerializableException.class,
        () -> serializer.fromBinary(new byte[] {1, 2, 3}, "W.Teleport"));
    assertTrue(e.getMessage().startsWith("unknown message manifest 'W.Teleport' (3 bytes)"), e.getMessage());
    assertTrue(e.getMessage().contains("W.RunStep"), e.getMessage());
  }

  @Test
  void pekkoSerialization_usesItAndReportsBadBytesAsAFailure() {
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(kit.system()));
    assertEquals(TandemSerializer.IDENTIFIER, serialization.findSerializerFor(new JobEvent.JobFailed("x")).identifier());
    scala.util.Try<Object> decoded = serialization.deserialize(new byte[] {(byte) 0xff}, TandemSerializer.IDENTIFIER,
        "E.JobFailed");
    assertTrue(decoded.isFailure());
    String m = decoded.failed().get().getMessage();
    assertTrue(m.startsWith("cannot decode E.JobFailed (tandem.CoordinatorProtocol.JobFailed, 1 bytes)"), m);
  }

  @Test
  void unboundMessage_namesItsClass() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> serializer.toBinary(new StageWorker.TensorArrived(TensorFrameHeader.getDefaultInstance(), null)));
    assertTrue(e.getMessage().contains("TensorArrived does not cross JVMs (tensors travel on the data plane)"),
        e.getMessage());
  }

  @Test
  void everyPublicProtocolMessageIsBound() {
    Set<Class<?>> localOnly = Set.of(StageWorker.TensorArrived.class, StageWorker.TensorRejected.class,
        JobMaster.Stop.class);
    Set<Class<?>> bound = new java.util.HashSet<>();
    serializer.bindings().forEach(b -> bound.add(b.type()));
    TreeSet<String> missing = new TreeSet<>();
    for (Class<?> protocol : new Class<?>[] {StageWorker.Command.class, StageWorker.Reply.class,
        NodeAgent.Command.class, NodeAgent.Reply.class, JobMaster.Command.class, JobEvent.class}) {
      for (Class<?> c : protocol.getPermittedSubclasses()) {
        if (Modifier.isPublic(c.getModifiers()) && !localOnly.contains(c) && !bound.contains(c)) {
          missing.add(c.getName());
        }
      }
    }
    assertTrue(missing.isEmpty(), "messages without a wire binding: " + missing);
  }
}
