package io.tandem.actors.cluster.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.actors.cluster.NodeAgent;
import io.tandem.actors.cluster.TandemSerializer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Wire compatibility: the golden encodings in {@code src/test/resources/wire/} (one file per
 * manifest, written by the first protobuf version of {@link TandemSerializer}) must keep
 * decoding to the values of {@link WireSamples}. Field numbers are only ever added, so this holds
 * as long as nobody renumbers or retypes a field.
 *
 * <p>To write the golden file of a new message (never rewrite an existing one): run this test
 * with {@code -Dtandem.wire.regenerate=true}; it writes the files that are missing into
 * {@code src/test/resources/wire/} (the module directory is the working directory) and skips.
 */
class GoldenWireTest {
  private static final Path SOURCE_DIR = Path.of("src/test/resources/wire");

  private static ActorTestKit kit;
  private static TandemSerializer serializer;
  private static Map<String, Object> samples;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create(WireSamples.SYSTEM);
    serializer = new TandemSerializer((ExtendedActorSystem) Adapter.toClassic(kit.system()));
    samples = WireSamples.all(ActorRefResolver.get(kit.system()));
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void everyMessageHasASampleAndAGoldenFile() throws IOException {
    if (Boolean.getBoolean("tandem.wire.regenerate")) {
      List<String> written = new ArrayList<>();
      Files.createDirectories(SOURCE_DIR);
      for (Map.Entry<String, Object> e : samples.entrySet()) {
        Path file = SOURCE_DIR.resolve(e.getKey() + ".bin");
        if (!Files.exists(file)) {
          Files.write(file, serializer.toBinary(e.getValue()));
          written.add(file.toString());
        }
      }
      Assumptions.abort("regenerated golden files (rerun without tandem.wire.regenerate): " + written);
    }
    TreeSet<String> bound = new TreeSet<>();
    serializer.bindings().forEach(b -> bound.add(b.manifest()));
    assertEquals(bound, new TreeSet<>(samples.keySet()), "every bound message needs a sample");
    for (String manifest : bound) {
      assertNotNull(golden(manifest), "no golden file wire/" + manifest + ".bin (see this test's Javadoc)");
    }
  }

  @Test
  void goldenFilesDecodeToTheSamples() throws Exception {
    for (Map.Entry<String, Object> e : samples.entrySet()) {
      byte[] bytes = golden(e.getKey());
      Assumptions.assumeTrue(bytes != null, "golden files missing");
      Object decoded = serializer.fromBinary(bytes, e.getKey());
      assertEquals(WireSamples.normalize(e.getValue()), WireSamples.normalize(decoded), e.getKey());
    }
  }

  @Test
  void everySampleRoundTrips() throws Exception {
    for (Map.Entry<String, Object> e : samples.entrySet()) {
      Object message = e.getValue();
      assertEquals(e.getKey(), serializer.manifest(message));
      Object decoded = serializer.fromBinary(serializer.toBinary(message), e.getKey());
      assertEquals(WireSamples.normalize(message), WireSamples.normalize(decoded), e.getKey());
    }
  }

  @Test
  void spawnWorkersCarriesTheSnapshotPlan() throws Exception {
    roundTripsWith(new NodeAgent.Snapshots("job-7", new byte[] {4, 5, 6}, "10.0.0.3:7001",
        Map.of(0, agentB(), 5, agentB())), NodeAgent.DiskShards.NONE);
  }

  @Test
  void spawnWorkersCarriesTheDiskCheckpointManifestAndItsHolders() throws Exception {
    io.tandem.proto.CheckpointManifest manifest = io.tandem.proto.CheckpointManifest.newBuilder().setJobId("job-7")
        .setStep(40).setLayers(1).addFiles(io.tandem.proto.CheckpointFile.newBuilder().setLayer(0).setName("layer-0.bin")
            .setNode("pekko://tandem@10.0.0.3:25520")).build();
    NodeAgent.SpawnWorkers decoded = roundTripsWith(new NodeAgent.Snapshots("job-7", new byte[] {4, 5, 6}, "",
        Map.of()), new NodeAgent.DiskShards(manifest, Map.of(0, agentB())));
    assertEquals(manifest, decoded.shards().manifest());
    assertEquals(Map.of(0, agentB()), decoded.shards().holders());
  }

  /** The sample SpawnWorkers with {@code snapshots} and {@code shards} survives the wire; returns it decoded. */
  private static NodeAgent.SpawnWorkers roundTripsWith(NodeAgent.Snapshots snapshots, NodeAgent.DiskShards shards)
      throws Exception {
    NodeAgent.SpawnWorkers sample = (NodeAgent.SpawnWorkers) samples.get("N.SpawnWorkers");
    NodeAgent.SpawnWorkers message = new NodeAgent.SpawnWorkers(sample.spec(), List.of(1), sample.dataPlanes(), 40,
        new byte[] {1, 2, 3}, sample.replyTo(), snapshots, shards);
    NodeAgent.SpawnWorkers decoded = (NodeAgent.SpawnWorkers) serializer.fromBinary(serializer.toBinary(message),
        "N.SpawnWorkers");
    assertEquals(WireSamples.normalize(message), WireSamples.normalize(decoded));
    return decoded;
  }

  private static org.apache.pekko.actor.typed.ActorRef<NodeAgent.Command> agentB() {
    return ActorRefResolver.get(kit.system()).resolveActorRef("pekko://" + WireSamples.SYSTEM + "/user/agent-b");
  }

  @Test
  void refsTravelAsTheirSerializationFormat() throws Exception {
    Object run = samples.get("W.RunStep");
    String bytes = new String(serializer.toBinary(run), java.nio.charset.StandardCharsets.ISO_8859_1);
    assertTrue(bytes.contains("pekko://" + WireSamples.SYSTEM + "/user/job-run-7"), bytes);
  }

  private static byte[] golden(String manifest) throws IOException {
    try (InputStream in = GoldenWireTest.class.getResourceAsStream("/wire/" + manifest + ".bin")) {
      return in == null ? null : in.readAllBytes();
    }
  }
}
