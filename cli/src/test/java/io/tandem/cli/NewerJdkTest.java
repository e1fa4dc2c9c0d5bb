package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.actors.cluster.JdkOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
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
      "--devices", "2", "--microbatches", "2", "--microbatch-size", "1", "--steps", "1", "--seed", "5");

  /** A java launcher of JDK 23+ and its feature release. */
  private record NewerJava(Path java, int feature) {}

  @Test
  void trainingUnderJdk23OrLater_printsNoJvmWarning_andTrainsTheSameWeights() throws Exception {
    Optional<NewerJava> newer = findNewerJava();
    Assumptions.assumeTrue(newer.isPresent(), "no JDK 23+ (set TANDEM_TEST_NEWER_JAVA to its bin/java)");
    TandemJvm.Run run = TandemJvm.run(newer.get().java().toString(), JdkOptions.forFeature(newer.get().feature()),
        TRAIN, 120);
    assertEquals(0, run.code(), run.err());
    // the JVM's incubator notice cannot be turned off; the tandem launcher drops that line
    List<String> warnings = run.err().lines().filter(l -> l.startsWith("WARNING"))
        .filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList();
    assertEquals(List.of(), warnings, "JDK " + newer.get().feature() + " warned");
    assertEquals(finalLine(run.out()), finalLine(trainHere()), "weights under JDK " + newer.get().feature());
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
