package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.actors.cluster.JdkOptions;
import io.tandem.actors.transport.CipherJit;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Training under a newer JDK (23 or later, found as {@code TANDEM_TEST_NEWER_JAVA} or under
 * /usr/lib/jvm; skipped without one) with the options the launchers pass ({@link JdkOptions}):
 * no JVM warning about Tandem's libraries, and the same weights as this JVM.
 */
class NewerJdkTest {
  private static final Pattern FEATURE = Pattern.compile("^JAVA_VERSION=\"(\\d+)", Pattern.MULTILINE);
  private static final List<String> TRAIN = List.of("train", "--model", "gpt:layers=2,hidden=32,heads=2,seq=16,vocab=256",
      "--devices", "2", "--microbatches", "4", "--microbatch-size", "2", "--steps", "2", "--seed", "5");

  /** A java launcher of JDK 23+ and its feature release. */
  private record NewerJava(Path java, int feature) {}

  @Test
  void trainingUnderJdk23OrLater_printsNoJvmWarning_andTrainsTheSameWeights() throws Exception {
    Optional<NewerJava> newer = findNewerJava();
    Assumptions.assumeTrue(newer.isPresent(), "no JDK 23+ (set TANDEM_TEST_NEWER_JAVA to its bin/java)");
    List<String> cmd = new ArrayList<>(List.of(newer.get().java().toString(), "--add-modules", "jdk.incubator.vector",
        "-Xss4m"));
    cmd.addAll(CipherJit.OPTIONS);
    cmd.addAll(JdkOptions.forFeature(newer.get().feature()));
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), TandemCli.class.getName()));
    cmd.addAll(TRAIN);
    Path err = Files.createTempFile("tandem-newer-jdk", ".err");
    try {
      Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(120, TimeUnit.SECONDS), "training under " + newer.get() + " did not end");
      String stderr = Files.readString(err);
      assertEquals(0, p.exitValue(), stderr);
      // the JVM's incubator notice cannot be turned off; the tandem launcher drops that line
      List<String> warnings = stderr.lines().filter(l -> l.startsWith("WARNING"))
          .filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList();
      assertEquals(List.of(), warnings, "JDK " + newer.get().feature() + " warned");
      assertEquals(finalLine(out), finalLine(trainHere()), "weights under JDK " + newer.get().feature());
    } finally {
      Files.deleteIfExists(err);
    }
  }

  private static String trainHere() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    assertEquals(0, TandemCli.run(TRAIN.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err)),
        err.toString());
    return out.toString();
  }

  private static String finalLine(String out) {
    return out.lines().filter(l -> l.startsWith("final ")).findFirst()
        .orElseThrow(() -> new AssertionError("no final line in: " + out));
  }

  private static Optional<NewerJava> findNewerJava() throws IOException {
    String given = System.getenv("TANDEM_TEST_NEWER_JAVA");
    if (given != null && !given.isBlank()) {
      Path java = Path.of(given);
      return feature(java.getParent().getParent()).map(f -> new NewerJava(java, f)).filter(j -> j.feature() >= 23);
    }
    Path jvms = Path.of("/usr/lib/jvm");
    if (!Files.isDirectory(jvms)) {
      return Optional.empty();
    }
    try (Stream<Path> homes = Files.list(jvms)) {
      return homes.filter(h -> Files.isExecutable(h.resolve("bin/java")))
          .flatMap(h -> feature(h).map(f -> new NewerJava(h.resolve("bin/java"), f)).stream())
          .filter(j -> j.feature() >= 23)
          .max(Comparator.comparingInt(NewerJava::feature).thenComparing(j -> j.java().toString()));
    }
  }

  /** The feature release a JDK's {@code release} file names. */
  private static Optional<Integer> feature(Path home) {
    try {
      Matcher m = FEATURE.matcher(Files.readString(home.resolve("release")));
      return m.find() ? Optional.of(Integer.parseInt(m.group(1))) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
