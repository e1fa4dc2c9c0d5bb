package io.tandem.actors.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.proto.CheckpointFile;
import io.tandem.proto.CheckpointManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {
  @TempDir Path dir;

  static byte[] state(long step, int layer) {
    byte[] b = new byte[100 + layer];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) (step * 31 + layer * 7 + i);
    }
    return b;
  }

  static void checkpoint(CheckpointStore store, long step, int layers, boolean commit) {
    List<CheckpointFile> files = new ArrayList<>();
    for (int l = 0; l < layers; l++) {
      files.add(store.writeLayer("job", step, l, state(step, l)));
    }
    if (commit) {
      store.commit(CheckpointManifest.newBuilder().setJobId("job").setStep(step).setDataPosition(step)
          .setRngSeed(5).addAllFiles(files).setLayers(layers).build());
    }
  }

  @Test
  void committedCheckpoint_restoresEveryLayerBytewise() {
    CheckpointStore store = new CheckpointStore(dir, 3);
    checkpoint(store, 4, 3, true);
    List<String> log = new ArrayList<>();
    Checkpoint c = store.latestValid(log::add).orElseThrow();
    assertEquals(4, c.step());
    assertEquals(5, c.manifest().getRngSeed());
    for (int l = 0; l < 3; l++) {
      assertArrayEquals(state(4, l), c.layer(l));
    }
    assertTrue(log.isEmpty(), log.toString());
    assertTrue(Files.exists(dir.resolve("step-4/manifest.pb")));
    assertFalse(Files.exists(dir.resolve("step-4/manifest.pb.tmp")));
  }

  @Test
  void filesOnNodesDisks_countAsThereWhenTheManifestNamesTheirNode_andSkippedStepsArePassedOver()
      throws IOException {
    CheckpointStore store = new CheckpointStore(dir, 3);
    checkpoint(store, 2, 2, true);
    List<CheckpointFile> files = List.of(store.writeLayer("job", 4, 0, state(4, 0)),
        store.writeLayer("job", 4, 1, state(4, 1)).toBuilder().setNode("pekko://tandem@10.0.0.3:25520").build());
    store.commit(CheckpointManifest.newBuilder().setJobId("job").setStep(4).addAllFiles(files).setLayers(2).build());
    Files.delete(dir.resolve("step-4").resolve(files.get(1).getName())); // on node 10.0.0.3's own disk
    List<String> log = new ArrayList<>();
    assertEquals(2, store.latestValid(log::add).orElseThrow().step(), "read here, a missing file is missing");
    assertTrue(log.get(0).contains("is missing here (node pekko://tandem@10.0.0.3:25520 wrote it to its own disk)"),
        log.toString());
    assertEquals(4, store.latestValid(m -> { }, java.util.Set.of(), true).orElseThrow().step(),
        "the node that wrote it checks it when it sends it");
    assertEquals(2, store.latestValid(m -> { }, java.util.Set.of(4L), true).orElseThrow().step());
    store.deleteBefore(4); // a worker pruning its own disk
    assertFalse(Files.exists(store.stepDir(2)));
    assertTrue(Files.exists(store.stepDir(4)));
  }

  @Test
  void withoutManifest_aCheckpointDoesNotExist() {
    CheckpointStore store = new CheckpointStore(dir, 3);
    checkpoint(store, 2, 3, true);
    checkpoint(store, 4, 3, false); // workers wrote, coordinator never committed
    List<String> log = new ArrayList<>();
    assertEquals(2, store.latestValid(log::add).orElseThrow().step());
    assertTrue(log.get(0).contains("step-4") && log.get(0).contains("no manifest.pb"), log.toString());
  }

  @Test
  void corruptNewestFile_isNamedAndThePreviousCheckpointIsUsed() throws IOException {
    CheckpointStore store = new CheckpointStore(dir, 3);
    checkpoint(store, 2, 3, true);
    checkpoint(store, 4, 3, true);
    Path bad = dir.resolve("step-4").resolve(CheckpointStore.layerFileName(1));
    byte[] bytes = Files.readAllBytes(bad);
    bytes[bytes.length - 1] ^= 1;
    Files.write(bad, bytes);
    List<String> log = new ArrayList<>();
    Checkpoint c = store.latestValid(log::add).orElseThrow();
    assertEquals(2, c.step());
    assertEquals(1, log.size());
    assertTrue(log.get(0).contains(bad.toString()) && log.get(0).contains("corrupt"), log.get(0));
    assertTrue(log.get(0).contains("falling back"), log.get(0));
    CheckpointException e = assertThrows(CheckpointException.class, () -> store.open(4).layer(1));
    assertTrue(e.getMessage().contains("layer-00001.bin"), e.getMessage());
  }

  @Test
  void missingFileOrGarbageManifest_fallsBack_andNothingValidMeansEmpty() throws IOException {
    CheckpointStore store = new CheckpointStore(dir, 3);
    checkpoint(store, 2, 2, true);
    checkpoint(store, 4, 2, true);
    Files.delete(dir.resolve("step-4").resolve(CheckpointStore.layerFileName(0)));
    Files.write(dir.resolve("step-2").resolve(CheckpointStore.MANIFEST), new byte[] {1, 2, 3, 4, 5});
    List<String> log = new ArrayList<>();
    Optional<Checkpoint> c = store.latestValid(log::add);
    assertTrue(c.isEmpty());
    assertEquals(2, log.size(), log.toString());
    assertTrue(log.get(0).contains("missing"), log.get(0));
    assertTrue(log.get(1).contains("step-2") && log.get(1).contains("manifest.pb"), log.get(1));
  }

  /**
   * The manifest names the node that wrote each file: one missing here (written on another
   * node's disk) is named with its node, and the previous checkpoint is used.
   */
  @Test
  void fileWrittenOnAnotherNodesDisk_isNamedWithItsNode() throws IOException {
    CheckpointStore store = new CheckpointStore(dir, 3);
    checkpoint(store, 2, 2, true);
    List<CheckpointFile> files = new ArrayList<>();
    for (int l = 0; l < 2; l++) {
      files.add(store.writeLayer("job", 4, l, state(4, l)).toBuilder().setNode("pekko://tandem@10.0.0." + (l + 1)
          + ":25520").build());
    }
    store.commit(CheckpointManifest.newBuilder().setJobId("job").setStep(4).setDataPosition(4).setRngSeed(5)
        .addAllFiles(files).setLayers(2).build());
    assertEquals("pekko://tandem@10.0.0.2:25520", store.open(4).manifest().getFiles(1).getNode());
    Files.delete(dir.resolve("step-4").resolve(CheckpointStore.layerFileName(1)));
    List<String> log = new ArrayList<>();
    assertEquals(2, store.latestValid(log::add).orElseThrow().step());
    assertTrue(log.get(0).contains("(layer 1) is missing here (node pekko://tandem@10.0.0.2:25520 wrote it"),
        log.toString());
  }

  @Test
  void commit_keepsTheNewestK() {
    CheckpointStore store = new CheckpointStore(dir, 2);
    for (long s = 1; s <= 4; s++) {
      checkpoint(store, s, 2, true);
    }
    assertEquals(List.of(4L, 3L), store.committedSteps());
    assertFalse(Files.exists(dir.resolve("step-1")));
    assertThrows(IllegalArgumentException.class, () -> new CheckpointStore(dir, 0));
  }
}
