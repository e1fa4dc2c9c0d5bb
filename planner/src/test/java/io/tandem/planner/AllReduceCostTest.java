package io.tandem.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AllReduceCostTest {
  @Test
  void fit_recoversBandwidthAndFixedCost() {
    // 500 MB/s bus, 2 ms fixed: D = 2 moves the tensor once, D = 4 1.5 times
    double bw = 500e6;
    List<AllReduceCost.Measurement> points = List.of(
        new AllReduceCost.Measurement(2, 16e6, 0.002 + 16e6 / bw),
        new AllReduceCost.Measurement(2, 64e6, 0.002 + 64e6 / bw),
        new AllReduceCost.Measurement(4, 16e6, 0.002 + 1.5 * 16e6 / bw));
    AllReduceCost c = AllReduceCost.fit(points, "test");
    assertEquals(bw, c.busBytesPerSecond(), bw * 1e-9);
    assertEquals(2.0, c.fixedMs(), 1e-9);
    assertEquals(2.0 + 1.5 * 8e6 / bw * 1e3, c.ms(8_000_000, 4), 1e-9);
    assertEquals(0, c.ms(8_000_000, 1));
  }

  @Test
  void fit_oneMeasurement_isBandwidthOnly() {
    AllReduceCost c = AllReduceCost.fit(List.of(new AllReduceCost.Measurement(2, 10e6, 0.1)), "one");
    assertEquals(100e6, c.busBytesPerSecond(), 1);
    assertEquals(0, c.fixedMs());
  }

  @Test
  void clusterUsesTheMeasuredCost_insteadOfTheLink() {
    ClusterSpec link = ClusterSpec.uniform(4, 1L << 30);
    ClusterSpec measured = link.withAllReduce(new AllReduceCost(1e8, 1, "m"));
    assertEquals(1 + 1e8 / 1e8 * 1e3, measured.allReduceMs(100_000_000, 2), 1e-9);
    assertTrue(link.allReduceMs(100_000_000, 2) < 20, "10 GB/s link: " + link.allReduceMs(100_000_000, 2));
    assertEquals(measured.allReduce(), measured.withDevices(link.devices().subList(0, 2)).allReduce(),
        "a re-plan over survivors keeps what was learned");
  }

  @Test
  void readsBenchOutput_andNamesBadLines(@TempDir Path dir) throws IOException {
    Path good = dir.resolve("ar.jsonl");
    Files.writeString(good, "{\"replicas\":2,\"tensorMB\":16,\"seconds\":0.05,\"ratio\":0.9}\n\n"
        + "{\"replicas\":2,\"tensorMB\":64,\"seconds\":0.17}\n");
    AllReduceCost c = AllReduceFile.read(good);
    assertEquals(48.0 * (1 << 20) / 0.12, c.busBytesPerSecond(), 1);
    assertEquals(10, c.fixedMs(), 1e-6);
    Path bad = dir.resolve("bad.jsonl");
    Files.writeString(bad, "{\"replicas\":2,\"tensorMB\":16,\"seconds\":0.05}\n{\"replicas\":2,\"tensorMB\":16}\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AllReduceFile.read(bad));
    assertEquals("--allreduce: " + bad + " line 2 has no number 'seconds'", e.getMessage());
    Files.writeString(bad, "hello\n");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> AllReduceFile.read(bad)).getMessage()
        .contains("line 1 is not JSON"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> AllReduceFile.read(dir.resolve("none")))
        .getMessage().startsWith("--allreduce: no such file "));
  }
}
