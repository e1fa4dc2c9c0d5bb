package io.tandem.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The committed fatbin was built from the CUDA sources as they are now: build-kernels.sh
 * records the SHA-256 of every input beside the fatbin, and this test recomputes them (hashes,
 * not mtimes, which a git checkout resets). When it fails, run {@code bash kernels/build-kernels.sh}
 * (nvcc 13.0) or {@code mvn -Pcuda-kernels -pl kernels package}, and commit both files.
 */
class FatbinFreshnessTest {
  private static final Path MODULE = Path.of("").toAbsolutePath();
  private static final String FIX = "; rebuild with: bash kernels/build-kernels.sh (nvcc 13.0), then commit "
      + "tandem_kernels.fatbin and tandem_kernels.fatbin.sources";

  @Test
  void committedFatbinMatchesItsSources() throws IOException {
    Map<String, String> recorded = recorded();
    assertFalse(recorded.isEmpty(), "no hashes recorded" + FIX);
    Map<String, String> actual = new TreeMap<>();
    actual.put("build-kernels.sh", sha256(MODULE.resolve("build-kernels.sh")));
    try (Stream<Path> files = Files.list(MODULE.resolve("src/main/cuda"))) {
      for (Path p : (Iterable<Path>) files.sorted()::iterator) {
        String name = p.getFileName().toString();
        if (name.endsWith(".cu") || name.endsWith(".cuh")) {
          actual.put("src/main/cuda/" + name, sha256(p));
        }
      }
    }
    assertEquals(recorded.keySet(), actual.keySet(), "CUDA source files added or removed since the build" + FIX);
    for (Map.Entry<String, String> e : actual.entrySet()) {
      assertEquals(recorded.get(e.getKey()), e.getValue(), e.getKey() + " changed since the fatbin was built" + FIX);
    }
  }

  @Test
  void recordedHashesCoverTheBuildScriptAndTheSources() throws IOException {
    Map<String, String> recorded = recorded();
    assertTrue(recorded.containsKey("build-kernels.sh"));
    assertTrue(recorded.containsKey("src/main/cuda/gemm.cu"));
  }

  /** Lines {@code <sha256>  <path>} as sha256sum writes them; {@code #} lines are comments. */
  private static Map<String, String> recorded() throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (InputStream in = FatbinFreshnessTest.class.getResourceAsStream(KernelImage.RESOURCE + ".sources")) {
      if (in == null) {
        return out;
      }
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] parts = line.trim().split("\\s+\\*?", 2);
        out.put(parts[1], parts[0]);
      }
    }
    return out;
  }

  private static String sha256(Path p) throws IOException {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
