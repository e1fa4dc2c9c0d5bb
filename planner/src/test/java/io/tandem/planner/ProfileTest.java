package io.tandem.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProfileTest {
  static final GptShape SHAPE = new GptShape(4, 64, 4, 32, 100);

  @Test
  void analyticProfile_countsEveryParameterOnce() {
    ModelProfile p = AnalyticProfiler.gpuDefault().profile(SHAPE, 2);
    assertEquals(SHAPE.layers() + 3, p.numLayers());
    long params = p.layers().stream().mapToLong(LayerProfile::parameterBytes).sum();
    assertEquals(SHAPE.parameters() * Float.BYTES, params);
    assertEquals(2 * params, p.layers().stream().mapToLong(LayerProfile::optimizerBytes).sum());
  }

  @Test
  void scaling_isLinearInTheMicrobatchAboveTheOverhead() {
    AnalyticProfiler a = new AnalyticProfiler(1e12, 1e11, 0.5);
    ModelProfile one = a.profile(SHAPE, 1);
    ModelProfile four = a.profile(SHAPE, 4);
    ModelProfile scaled = one.atMicrobatchSize(4);
    for (int i = 0; i < one.numLayers(); i++) {
      assertEquals(four.layer(i).forwardMs(), scaled.layer(i).forwardMs(), 1e-9);
      assertEquals(four.layer(i).backwardWeightMs(), scaled.layer(i).backwardWeightMs(), 1e-9);
      assertEquals(four.layer(i).activationBytesForB(), scaled.layer(i).activationBytesForB());
      assertEquals(four.layer(i).parameterBytes(), scaled.layer(i).parameterBytes());
    }
  }

  @Test
  void json_roundTrips(@TempDir Path dir) {
    ModelProfile p = AnalyticProfiler.gpuDefault().profile(SHAPE, 2);
    Path file = dir.resolve("p.json");
    p.write(file);
    assertEquals(p, ModelProfile.read(file));
  }

  @Test
  void badJson_isAOneLineErrorNamingTheFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("bad.json");
    Files.writeString(file, "{\"model\":\"x\",\"microbatchSize\":1,\"layers\":[{\"name\":\"a\"}]}");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelProfile.read(file));
    assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> ModelProfile.read(dir.resolve("none.json")));
    assertTrue(missing.getMessage().startsWith("profile file not found"), missing.getMessage());
  }

  @Test
  void shapeChecksItsDimensions() {
    assertThrows(IllegalArgumentException.class, () -> new GptShape(0, 8, 2, 4, 10));
    assertThrows(IllegalArgumentException.class, () -> new GptShape(2, 9, 2, 4, 10));
  }

  @Test
  void sizesAndDevicesFile() {
    assertEquals(24L << 30, Bytes.parse("24GiB"));
    assertEquals(80_000_000_000L, Bytes.parse("80GB"));
    assertThrows(IllegalArgumentException.class, () -> Bytes.parse("24 potatoes"));
    ClusterSpec c = ClusterFile.parse("{\"linkBandwidth\":\"25GB\",\"devices\":[{\"id\":\"a\",\"memory\":\"8GiB\"},"
        + "{\"id\":\"b\",\"memory\":\"16GiB\",\"speed\":2,\"count\":2}]}");
    assertEquals(3, c.size());
    assertEquals(25e9, c.linkBytesPerSecond());
    assertEquals("b-1", c.devices().get(2).id());
    assertThrows(IllegalArgumentException.class, () -> ClusterFile.parse("{\"devices\":[]}"));
    assertThrows(IllegalArgumentException.class, () -> ClusterFile.parse("{\"gpus\":[]}"));
  }
}
