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

  @Test
  void submit_withoutAdmin_isAUserError() {
    assertTrue(run(TandemCli.USER_ERROR, "submit", "--steps", "1")[0].contains("--admin"));
  }

  @Test
  void checkpointEvery_withoutDir_isAUserError() {
    assertTrue(run(TandemCli.USER_ERROR, "train", "--backend", "sim", "--steps", "1", "--checkpoint-every", "2")[0]
        .contains("checkpointDir: is required with checkpointEvery 2"));
  }

  @Test
  void submit_toAnAdminApiThatIsNotThere_isAUserErrorNamingIt() {
    String err = run(TandemCli.USER_ERROR, "submit", "--admin", "http://127.0.0.1:1", "--token", "t",
        "--backend", "sim", "--steps", "1")[0];
    assertTrue(err.contains("cannot reach the admin API at http://127.0.0.1:1/jobs"), err);
  }

  @Test
  void train_withCheckpoints_writesCommittedCheckpoints(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = TandemCli.run(new String[] {"train", "--backend", "cpu", "--devices", "2", "--steps", "4",
        "--microbatches", "2", "--microbatch-size", "1", "--checkpoint-dir", dir.toString(), "--checkpoint-every", "2"},
        new PrintWriter(out), new PrintWriter(err));
    assertEquals(0, code, err.toString());
    assertTrue(java.nio.file.Files.exists(dir.resolve("step-2").resolve("manifest.pb")), err.toString());
    assertTrue(err.toString().contains("checkpoint: checkpoint step-2 committed"), err.toString());
    assertTrue(out.toString().startsWith("final step=4 "), out.toString());
  }
}
