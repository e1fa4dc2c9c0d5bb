package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.planner.AnalyticProfiler;
import io.tandem.planner.GptShape;
import io.tandem.planner.ModelProfile;
import io.tandem.schedule.StageCosts;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tandem bench search --profile FILE}: per-virtual-stage costs from a model profile. */
class BenchSearchProfileTest {
  static ModelProfile profile() {
    return AnalyticProfiler.gpuDefault().profile(new GptShape(4, 64, 2, 16, 256), 1);
  }

  static String[] run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = TandemCli.run(args, new PrintWriter(out), new PrintWriter(err));
    return new String[] {Integer.toString(code), out.toString(), err.toString()};
  }

  @Test
  void stageCosts_sumTheLayersOfTheRuntimesEvenSplit() {
    ModelProfile p = profile();
    StageCosts c = ProfileStageCosts.of(p, 4, 0.5);
    int layers = p.numLayers(); // embedding, 4 blocks, final norm, head
    double f = 0;
    for (int v = 0; v < 4; v++) {
      f += c.f(v);
    }
    double all = 0;
    for (int i = 0; i < layers; i++) {
      all += p.layer(i).forwardMs();
    }
    assertEquals(all, f, 1e-9);
    double last = 0; // the last stage: layers [floor(3L/4), L), the head among them
    for (int i = 3 * layers / 4; i < layers; i++) {
      last += p.layer(i).forwardMs();
    }
    assertEquals(last, c.f(3), 1e-9);
    assertEquals(0.5, c.comm());
  }

  @Test
  void benchSearch_withAProfile_comparesVSchedules_andRefusesOthers(@TempDir Path dir) {
    Path file = dir.resolve("p.json");
    profile().write(file);
    String[] ok = run("bench", "search", "-p", "2", "-m", "4", "--profile", file.toString(), "--fixed", "v-half",
        "--search-budget", "2000", "--exact-time", "0");
    assertEquals("0", ok[0], ok[2]);
    assertTrue(ok[1].contains("costs profile " + file), ok[1]);
    assertTrue(ok[1].contains("worse: 0"), ok[1]);
    String[] refused = run("bench", "search", "-p", "2", "-m", "4", "--profile", file.toString(), "--fixed", "zb-h1",
        "--search-budget", "0", "--exact-time", "0");
    assertEquals(Integer.toString(TandemCli.USER_ERROR), refused[0], refused[1]);
    assertTrue(refused[2].contains("--profile compares V-shape schedules only"), refused[2]);
  }
}
