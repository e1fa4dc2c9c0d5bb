package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.actors.cluster.JdkOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The GPU bundle's runtime holds only the JDK modules {@code deploy/gpu-bundle.sh} names. These
 * tests run tandem on exactly those modules ({@code --limit-modules}, what the jlinked runtime
 * sees): training (an actor system with Artery) and an admin command (the JDK's HTTP client) must
 * work, and an internal error must end the process instead of leaving it hanging.
 */
class GpuBundleModulesTest {
  private static final Path BUNDLE_SCRIPT = Path.of("..", "deploy", "gpu-bundle.sh");
  private static final Pattern MODULES = Pattern.compile("(?m)^MODULES=(\\S+)$");
  private static final List<String> TRAIN = List.of("train", "--model", "gpt:layers=2,hidden=32,heads=2,seq=16,vocab=256",
      "--backend", "cpu", "--devices", "1", "--microbatches", "2", "--microbatch-size", "1", "--steps", "1");

  static List<String> bundleModules() throws IOException {
    Matcher m = MODULES.matcher(Files.readString(BUNDLE_SCRIPT));
    assertTrue(m.find(), "no MODULES= line in " + BUNDLE_SCRIPT);
    return Arrays.asList(m.group(1).split(","));
  }

  private static TandemJvm.Run tandem(List<String> modules, List<String> args) throws Exception {
    List<String> options = new ArrayList<>(List.of("--limit-modules", String.join(",", modules)));
    options.addAll(JdkOptions.forThisJdk());
    return TandemJvm.run(TandemJvm.thisJava(), options, args, 90);
  }

  @Test
  void onTheBundlesModules_trainingAndAdminCommandsWork() throws Exception {
    List<String> modules = bundleModules();
    TandemJvm.Run train = tandem(modules, TRAIN);
    assertEquals(0, train.code(), train.err());
    assertTrue(train.out().lines().anyMatch(l -> l.startsWith("final ") && l.contains("weights-sha256=")), train.out());
    TandemJvm.Run admin = tandem(modules, List.of("admin", "--url", "http://127.0.0.1:1", "--token", "t", "jobs"));
    assertEquals(TandemCli.USER_ERROR, admin.code(), admin.err());
    List<String> lines = admin.err().strip().lines().filter(l -> !l.startsWith("WARNING: Using incubator")).toList();
    assertEquals(1, lines.size(), admin.err());
    assertTrue(lines.get(0).startsWith("tandem: cannot reach the admin API at http://127.0.0.1:1/"), admin.err());
  }

  @Test
  void anInternalError_endsTheProcess_withItsTrace() throws Exception {
    List<String> withoutJfr = bundleModules().stream().filter(m -> !m.equals("jdk.jfr")).collect(Collectors.toList());
    TandemJvm.Run train = tandem(withoutJfr, TRAIN); // Pekko's Artery needs jdk.jfr: a NoClassDefFoundError after it started threads
    assertEquals(TandemCli.INTERNAL_ERROR, train.code(), train.err());
    assertTrue(train.err().contains("tandem: internal error: java.lang.NoClassDefFoundError: jdk/jfr/Event"), train.err());
  }
}
