package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.actors.transport.CipherJit;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the tandem command in a JVM of its own (this test classpath), as the launchers start it. */
final class TandemJvm {
  /** A finished tandem process: exit code, stdout, stderr. */
  record Run(int code, String out, String err) {}

  private TandemJvm() {}

  /**
   * Runs {@code tandem args} with {@code java}, the launchers' options and {@code jvmOptions};
   * fails the test when it does not end within {@code timeoutSeconds}.
   */
  static Run run(String java, List<String> jvmOptions, List<String> args, int timeoutSeconds) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-Xss4m"));
    cmd.addAll(CipherJit.OPTIONS);
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), TandemCli.class.getName()));
    cmd.addAll(args);
    Path err = Files.createTempFile("tandem-jvm", ".err");
    try {
      Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      boolean ended = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
      if (!ended) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      String stderr = Files.readString(err);
      assertTrue(ended, "tandem " + args + " did not end within " + timeoutSeconds + " s: " + stderr);
      return new Run(p.exitValue(), out, stderr);
    } finally {
      Files.deleteIfExists(err);
    }
  }

  /** The java launcher of this JVM. */
  static String thisJava() {
    return ProcessHandle.current().info().command().orElse("java");
  }
}
