package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tandem plan --allreduce FILE}: the all-reduce cost learned from {@code bench allreduce} steers the plan. */
class PlanAllReduceTest {
  static final String MODEL = "gpt:layers=8,hidden=256,heads=4,seq=64,vocab=256";

  static String[] plan(String... extra) {
    String[] base = {"plan", "--model", MODEL, "--devices", "8", "--global-batch", "64"};
    String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(base), java.util.Arrays.stream(extra))
        .toArray(String[]::new);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = TandemCli.run(args, new PrintWriter(out), new PrintWriter(err));
    return new String[] {Integer.toString(code), out.toString(), err.toString()};
  }

  @Test
  void aSlowMeasuredAllReduce_turnsReplicasIntoADeeperPipeline(@TempDir Path dir) throws IOException {
    String[] link = plan();
    assertEquals("0", link[0], link[2]);
    assertTrue(link[1].contains("x data-parallel 2"), "at the default 10 GB/s link the planner uses replicas:\n"
        + link[1]);
    Path slow = dir.resolve("allreduce.jsonl");
    Files.writeString(slow, "{\"replicas\":2,\"tensorMB\":16,\"seconds\":16.0}\n"
        + "{\"replicas\":2,\"tensorMB\":64,\"seconds\":64.0}\n");
    String[] measured = plan("--allreduce", slow.toString());
    assertEquals("0", measured[0], measured[2]);
    assertTrue(measured[1].contains("pipeline depth 8 x data-parallel 1"), measured[1]);
    assertTrue(measured[1].contains("cost model: all-reduce 1 MiB/s bus + 0.00 ms (from " + slow + ")"), measured[1]);
  }

  @Test
  void aBadAllReduceFile_isOneLineNamingTheLine(@TempDir Path dir) throws IOException {
    Path bad = dir.resolve("bad.jsonl");
    Files.writeString(bad, "{\"replicas\":1,\"tensorMB\":16,\"seconds\":1}\n");
    String[] r = plan("--allreduce", bad.toString());
    assertEquals(Integer.toString(TandemCli.USER_ERROR), r[0]);
    assertTrue(r[2].startsWith("tandem: --allreduce: " + bad + " line 1: an all-reduce measurement needs replicas"
        + " >= 2"), r[2]);
    assertEquals(1, r[2].strip().lines().count(), r[2]);
  }
}
