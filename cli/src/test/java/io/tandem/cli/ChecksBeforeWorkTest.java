package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every option and output path is checked before anything is printed or computed: one line
 * starting {@code tandem:}, exit 2, no run header, no stack trace.
 */
@Timeout(60)
class ChecksBeforeWorkTest {
  @TempDir Path dir;

  /** {exit code, stdout, stderr}. */
  static String[] run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = TandemCli.run(args, new PrintWriter(out), new PrintWriter(err));
    return new String[] {Integer.toString(code), out.toString(), err.toString()};
  }

  /** Asserts a user error: exit 2, one stderr line starting tandem: and containing {@code words}, nothing else. */
  static void assertRefused(String[] r, String... words) {
    assertEquals(Integer.toString(TandemCli.USER_ERROR), r[0], r[2]);
    assertEquals("", r[1], "nothing on stdout");
    assertTrue(r[2].startsWith("tandem: ") && r[2].strip().lines().count() == 1, r[2]);
    assertFalse(r[2].contains("training") || r[2].contains("\tat "), r[2]);
    for (String w : words) {
      assertTrue(r[2].contains(w), r[2]);
    }
  }

  @Test
  void train_traceInAMissingDirectory_isRefusedBeforeTraining() {
    assertRefused(run("train", "--steps", "1", "--trace", "/nonexistent/dir/t.json"),
        "--trace /nonexistent/dir/t.json", "/nonexistent/dir does not exist");
  }

  @Test
  void train_checkpointDirUnderAFile_isRefused() throws IOException {
    Path file = Files.writeString(dir.resolve("f"), "x");
    assertRefused(run("train", "--steps", "1", "--checkpoint-dir", file.resolve("ckpt").toString(),
        "--checkpoint-every", "1"), "--checkpoint-dir", "is not a directory");
  }

  @Test
  void submit_negativeSnapshotEvery_isRefused() {
    assertRefused(run("train", "--steps", "1", "--snapshot-every", "-2"), "--snapshot-every must be auto, 0 (off) or a number of steps >= 1, got '-2'",
        "-2");
  }

  @Test
  void benchChaos_badArguments_areRefusedBeforeAnyWorkerStarts() {
    assertRefused(run("bench", "chaos", "--minutes", "0"), "--minutes must be > 0");
    assertRefused(run("bench", "chaos", "--minutes", "1", "--workers", "2"), "--workers >= 3");
    assertRefused(run("bench", "chaos", "--minutes", "1", "--gap", "5"), "--gap must be MIN:MAX", "'5'");
    assertRefused(run("bench", "chaos", "--minutes", "1", "--gap", "9:3"), "1 <= MIN <= MAX", "'9:3'");
    assertRefused(run("bench", "chaos", "--minutes", "1", "--gap", "a:b"), "--gap must be MIN:MAX seconds", "'a:b'");
  }

  @Test
  void train_negativeMemoryLimit_isRefused() {
    // the one validator's words, the same as the Java API and the admin API (issue 16)
    assertRefused(run("train", "--steps", "1", "--memory-limit", "-3"), "memoryLimit: ", "-3");
  }

  @Test
  void train_unknownOptimizer_isRefusedBeforeTheHeader() {
    assertRefused(run("train", "--steps", "1", "--optimizer", "lion"), "optimizer: ", "lion");
  }

  @Test
  void train_impossibleLayerSplit_isRefusedBeforeTheHeader() {
    assertRefused(run("train", "--steps", "1", "--schedule", "v-min", "--devices", "8"),
        "9 layers", "16 virtual stages");
  }

  @Test
  void schedule_svgInAMissingDirectory_isRefusedBeforeDrawing() {
    assertRefused(run("schedule", "show", "1f1b", "-p", "4", "-m", "8", "--svg", "/nonexistent/s.svg"),
        "--svg /nonexistent/s.svg");
  }

  @Test
  void profile_outInAMissingDirectory_isRefusedBeforeMeasuring() {
    assertRefused(run("profile", "--model", "gpt-tiny", "--out", "/nonexistent/p.json"), "--out");
  }

  @Test
  void outputPaths_acceptWritableFilesAndDirectories() {
    OutputPaths.checkFile(dir.resolve("t.json"), "--trace");
    OutputPaths.checkDirectory(dir.resolve("a/b"), "--checkpoint-dir");
    OutputPaths.checkFile(null, "--trace");
  }
}
