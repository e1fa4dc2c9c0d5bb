package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tandem.planner.ModelProfile;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlanCommandTest {
  static final String GPT = "gpt:layers=16,hidden=1024,heads=16,seq=2048,vocab=1000";

  @TempDir Path dir;

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = TandemCli.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Run(code, out.toString(), err.toString());
  }

  private static void assertUserError(Run r, String expectedStart) {
    assertEquals(TandemCli.USER_ERROR, r.code(), r.err());
    assertTrue(r.err().startsWith("tandem: " + expectedStart), r.err());
    assertEquals(1, r.err().lines().filter(l -> l.startsWith("tandem:")).count(), r.err());
    assertFalse(r.err().contains("\tat "), r.err());
  }

  @Test
  void json_hasEveryKeyTheIssueLists() throws Exception {
    Run r = run("plan", "--model", GPT, "--devices", "8", "--device-memory", "24GiB", "--global-batch", "32", "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode plan = new ObjectMapper().readTree(r.out());
    for (String key : List.of("schedule", "devices", "stages", "microbatches", "microbatchSize", "recompute",
        "stepTimeMs", "peakBytesPerDevice", "deviceMemoryBytes", "alternatives")) {
      assertTrue(plan.has(key), key + " missing: " + r.out());
    }
    JsonNode stage = plan.get("stages").get(0);
    assertEquals(0, stage.get("firstLayer").asInt());
    assertEquals(19, plan.get("stages").get(plan.get("stages").size() - 1).get("endLayer").asInt());
    for (JsonNode a : plan.get("alternatives")) {
      for (String key : List.of("schedule", "stepTimeMs", "peakBytesPerDevice", "feasible", "reason")) {
        assertTrue(a.has(key), key + " missing in alternative " + a);
      }
    }
    for (int i = 0; i < plan.get("devices").asInt(); i++) {
      assertTrue(plan.get("peakBytesPerDevice").get(i).asLong() <= plan.get("deviceMemoryBytes").get(i).asLong());
    }
  }

  @Test
  void table_byDefault() {
    Run r = run("plan", "--model", "gpt-tiny", "--devices", "4", "--global-batch", "16");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("plan: "), r.out());
    assertTrue(r.out().contains("alternatives"), r.out());
  }

  @Test
  void nothingFits_exits3WithOneLineNamingTheShortDevice() {
    Run r = run("plan", "--model", GPT, "--devices", "2", "--device-memory", "1GiB", "--global-batch", "4");
    assertEquals(PlanCommand.NO_FIT, r.code(), r.err());
    List<String> lines = r.err().lines().toList();
    assertEquals(1, lines.size(), r.err());
    assertTrue(lines.get(0).matches("tandem: no plan fits: device d\\d is short by [0-9.]+ [KMG]iB .*; would fit: .*"),
        lines.get(0));
    assertTrue(lines.get(0).contains("devices (fewer layers per device)"), lines.get(0));
  }

  @Test
  void tightMemory_choosesAVScheduleWhere1f1bDoesNotFit() {
    String[] base = {"plan", "--model", GPT, "--devices", "4", "--device-memory", "3.5GiB", "--global-batch", "16",
        "--microbatch-sizes", "1", "--no-recompute", "--no-data-parallel"};
    Run only1f1b = run(concat(base, "--schedules", "1f1b"));
    assertEquals(PlanCommand.NO_FIT, only1f1b.code(), only1f1b.out() + only1f1b.err());
    Run any = run(concat(base, "--json"));
    assertEquals(0, any.code(), any.err());
    assertTrue(any.out().matches("(?s)\\{\"schedule\":\"(v-min|v-half|auto)\".*"), any.out());
  }

  @Test
  void badInputs_areOneLineUserErrors() {
    assertUserError(run("plan", "--model", "gpt:layers=2", "--devices", "4", "--global-batch", "8"),
        "--model gpt:layers=2: missing hidden, heads, seq, vocab");
    assertUserError(run("plan", "--model", GPT, "--devices", "4", "--device-memory", "lots", "--global-batch", "8"),
        "bad size 'lots'");
    assertUserError(run("plan", "--model", GPT, "--devices", "0", "--global-batch", "8"), "--devices must be >= 1");
    assertUserError(run("plan", "--model", GPT, "--devices", "4"), "Missing required option");
    assertUserError(run("plan", "--profile", dir.resolve("none.json").toString(), "--devices", "4",
        "--global-batch", "8"), "profile file not found");
    assertUserError(run("plan", "--model", GPT, "--devices", "4", "--global-batch", "8", "--schedules", "nope"),
        "unknown schedule 'nope'");
    assertUserError(run("plan", "--model", "mlp-small", "--devices", "2", "--global-batch", "8"),
        "--model mlp-small is not a GPT");
  }

  @Test
  void devicesFile_heterogeneousMemory() throws Exception {
    Path f = dir.resolve("devs.json");
    Files.writeString(f, "{\"devices\":[{\"id\":\"big\",\"memory\":\"48GiB\"},{\"id\":\"small\",\"memory\":\"6GiB\"}]}");
    Run r = run("plan", "--model", GPT, "--devices-file", f.toString(), "--global-batch", "8", "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode plan = new ObjectMapper().readTree(r.out());
    for (int i = 0; i < plan.get("devices").asInt(); i++) {
      assertTrue(plan.get("peakBytesPerDevice").get(i).asLong() <= plan.get("deviceMemoryBytes").get(i).asLong());
    }
  }

  @Test
  void profile_writesWhatPlanReads() throws Exception {
    Path file = dir.resolve("tiny.json");
    Run p = run("profile", "--model", "gpt-tiny", "--microbatch-size", "2", "--repeat", "1", "--threads", "1",
        "--out", file.toString());
    assertEquals(0, p.code(), p.err());
    ModelProfile profile = ModelProfile.read(file);
    assertEquals(9, profile.numLayers());
    assertEquals(2, profile.microbatchSize());
    assertTrue(profile.layer(1).forwardMs() > 0, "block0 forward time");
    Run plan = run("plan", "--profile", file.toString(), "--devices", "2", "--device-memory", "64MiB",
        "--global-batch", "8", "--json");
    assertEquals(0, plan.code(), plan.err());
    assertUserError(run("profile", "--model", "gpt-tiny", "--backend", "tpu", "--out", file.toString()),
        "--backend must be cpu or cuda");
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
