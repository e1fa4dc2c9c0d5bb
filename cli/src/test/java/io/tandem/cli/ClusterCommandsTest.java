package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ClusterCommandsTest {
  static String[] run(int expectedCode, String... args) {
    StringWriter err = new StringWriter();
    int code = TandemCli.run(args, new PrintWriter(new StringWriter()), new PrintWriter(err));
    assertEquals(expectedCode, code, err.toString());
    return new String[] {err.toString()};
  }

  @Test
  void worker_withoutSeeds_isAUserError() {
    assertTrue(run(TandemCli.USER_ERROR, "worker")[0].contains("--seeds"));
  }

  @Test
  void worker_withMalformedSeed_namesIt() {
    assertTrue(run(TandemCli.USER_ERROR, "worker", "--seeds", "localhost")[0].contains("'localhost'"));
  }

  @Test
  void trainCluster_withoutSeeds_isAUserError() {
    assertTrue(run(TandemCli.USER_ERROR, "train", "--cluster", "--steps", "1")[0].contains("--seeds"));
  }

  @Test
  void benchRuntime_unknownMode_isAUserError() {
    assertTrue(run(TandemCli.USER_ERROR, "bench", "runtime", "--mode", "threads")[0].contains("embedded or processes"));
  }

  @Test
  void help_listsClusterCommands() {
    StringWriter out = new StringWriter();
    assertEquals(0, TandemCli.run(new String[] {"--help"}, new PrintWriter(out), new PrintWriter(new StringWriter())));
    assertTrue(out.toString().contains("coordinator") && out.toString().contains("worker"), out.toString());
  }
}
