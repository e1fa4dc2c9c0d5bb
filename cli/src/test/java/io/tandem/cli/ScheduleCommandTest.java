package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.schedule.OneFOneB;
import io.tandem.schedule.Schedule;
import io.tandem.schedule.ScheduleJson;
import io.tandem.schedule.ScheduleSpec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ScheduleCommandTest {
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
    assertFalse(r.err().contains("\tat "), r.err());
    assertFalse(r.err().contains("Exception"), r.err());
  }

  @Test
  void list_namesEveryGenerator() {
    Run r = run("schedule", "list");
    assertEquals(0, r.code());
    for (String name : new String[] {"gpipe", "1f1b", "interleaved-1f1b", "zb-h1", "zb-h2", "2bw"}) {
      assertTrue(r.out().contains(name + " "), r.out());
    }
  }

  @Test
  void show_drawsTimeline_andWritesSvgAndTrace() throws Exception {
    Path svg = dir.resolve("t.svg");
    Path trace = dir.resolve("t.json");
    Run r = run("schedule", "show", "1F1B", "-p", "2", "-m", "2", "--svg", svg.toString(), "--trace", trace.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("d0  |F0 F1 ......BW0"), r.out());
    assertTrue(r.out().contains("makespan 9  bubble 0.3333"), r.out());
    assertFalse(r.out().contains("\u001b["), "no colours when not a terminal");
    assertTrue(Files.readString(svg).contains("<svg"));
    assertTrue(Files.readString(trace).contains("\"traceEvents\""));
  }

  @Test
  void export_thenValidateAndImport() throws Exception {
    Run r = run("schedule", "export", "zb-h1", "-p", "4", "-m", "8", "--costs", "F=1,B=2,W=1,comm=0.5");
    assertEquals(0, r.code(), r.err());
    Schedule s = ScheduleJson.read(r.out());
    assertEquals("zb-h1", s.name());
    assertEquals(0.5, s.costs().comm());
    assertTrue(r.out().contains("\"metrics\":{\"makespan\":"), r.out());
    Path file = dir.resolve("s.json");
    Files.writeString(file, r.out());
    Run v = run("schedule", "validate", file.toString());
    assertEquals(0, v.code(), v.err());
    assertTrue(v.out().startsWith("ok: zb-h1 p=4 m=8"), v.out());
    Run i = run("schedule", "import", file.toString());
    assertEquals(0, i.code(), i.err());
    assertTrue(i.out().contains("d3  |"), i.out());
  }

  @Test
  void exportAuto_searchesDeterministically_andReportsSearchSeconds() {
    String[] args = {"schedule", "export", "auto", "-p", "4", "-m", "8", "--costs", "F=1,B=2,W=1,comm=0.1",
        "--memory-limit", "2", "--seed", "3", "--search-budget", "500000", "--exact-time", "0.2"};
    Run a = run(args); // 0.2 deterministic s: 1-3 s here, far from the wall-clock guard (22 s) that could cut it
    Run b = run(args);
    assertEquals(0, a.code(), a.err());
    assertEquals("", a.err() + b.err(), "the deterministic budget ended both searches");
    assertTrue(a.out().matches("(?s).*\"metrics\":\\{.*\"searchSeconds\":[0-9.E-]+}.*"), a.out());
    assertTrue(a.out().matches("(?s).*\"exactSearchSeconds\":[0-9.E-]+,\"makespanLowerBound\":[0-9.E-]+,"
        + "\"provenOptimal\":[01](\\.0)?,.*"), a.out());
    String opsA = a.out().substring(0, a.out().indexOf("\"metrics\""));
    assertEquals(opsA, b.out().substring(0, b.out().indexOf("\"metrics\"")), "same seed, same schedule");
    Schedule s = ScheduleJson.read(a.out());
    assertEquals("auto", s.name());
    assertUserError(run("schedule", "export", "auto", "-p", "4", "-m", "8", "--search-budget", "-1"),
        "--search-budget must be >= 0");
    assertUserError(run("schedule", "export", "auto", "-p", "4", "-m", "8", "--exact-time", "-1"),
        "--exact-time must be a number >= 0");
  }

  @Test
  void benchSearch_countsCellsAndRejectsBadInput() {
    Run r = run("bench", "search", "--max-devices", "2", "--json");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("\"cells\":6,"), r.out());
    assertTrue(r.out().contains("\"worse\":0,"), r.out());
    assertUserError(run("bench", "search", "--fixed", "nope"), "unknown schedule 'nope'");
  }

  @Test
  void validate_reportsTheFirstProblemInOneLine() throws Exception {
    Schedule s = new OneFOneB().generate(ScheduleSpec.of(2, 2));
    String json = ScheduleJson.write(s, null).replace("{\"op\":\"BW\",\"mb\":1,\"v\":1}", "{\"op\":\"BW\",\"mb\":0,\"v\":1}");
    Path file = dir.resolve("dup.json");
    Files.writeString(file, json);
    Run r = run("schedule", "validate", file.toString());
    assertUserError(r, file + ": op BW0@1 on device 1: scheduled twice");
    assertEquals(1, r.err().strip().lines().count());
  }

  @ParameterizedTest
  @ValueSource(strings = {"{", "not json", "{\"name\":\"x\",\"devices\":0,\"microbatches\":1,\"placement\":[],\"ops\":[]}",
      "{\"name\":\"x\",\"devices\":1,\"microbatches\":1,\"placement\":[0],\"ops\":[[{\"op\":\"Q\",\"mb\":0,\"v\":0}]]}",
      "{\"name\":\"x\",\"devices\":1,\"microbatches\":1,\"placement\":[0],\"ops\":[[]],\"costs\":{\"B\":-2}}"})
  void badFiles_exitTwoWithoutStackTrace(String content) throws Exception {
    Path file = dir.resolve("bad.json");
    Files.writeString(file, content);
    assertUserError(run("schedule", "validate", file.toString()), file.toString());
    assertUserError(run("schedule", "import", file.toString()), file.toString());
  }

  @Test
  void userMistakes_exitTwoWithOneLine() {
    assertUserError(run("schedule", "show", "nope", "-p", "2", "-m", "2"), "unknown schedule 'nope'; known: gpipe");
    assertUserError(run("schedule", "show", "1f1b", "-p", "0", "-m", "2"), "devices (-p) must be >= 1, got 0");
    assertUserError(run("schedule", "export", "1f1b", "-p", "2", "-m", "2", "--costs", "F=-1"),
        "cost F must be a finite number >= 0");
    assertUserError(run("schedule", "export", "interleaved-1f1b", "-p", "4", "-m", "6"),
        "interleaved-1f1b needs microbatches to be a multiple of devices");
    assertUserError(run("schedule", "export", "1f1b", "-p", "4", "-m", "8", "--memory-limit", "3"),
        "schedule 1f1b peaks at 4 on device 0, over --memory-limit 3");
    assertUserError(run("schedule", "validate", dir.resolve("missing.json").toString()), "no such file");
    assertUserError(run("schedule", "show", "1f1b", "-p", "x", "-m", "2"), "Invalid value");
  }

  @Test
  void compare_tabulatesEverySchedule_relativeTo1f1b_withRefusalsInline() {
    Run r = run("schedule", "compare", "-p", "4", "-m", "6");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("vs 1f1b time"), r.out());
    assertTrue(r.out().lines().anyMatch(l -> l.matches("1f1b +27 +0\\.3333 +4 +1\\.000 +1\\.000 +\\[4 3 2 1\\]")), r.out());
    assertTrue(r.out().lines().anyMatch(l -> l.matches("zb-h1 +21 +0\\.1429 +4 +0\\.778 +1\\.000 .*")), r.out());
    assertTrue(r.out().contains("interleaved-1f1b  refused: interleaved-1f1b needs microbatches"), r.out());
  }
}
