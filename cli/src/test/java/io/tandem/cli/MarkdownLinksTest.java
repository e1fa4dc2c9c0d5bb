package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every relative link in the repository's documents (README.md, BENCHMARKS.md, docs/ and deploy/
 * markdown) resolves to a file of the repository, and its {@code #anchor} to a heading there: a
 * clone has nothing outside it.
 */
class MarkdownLinksTest {
  private static final Pattern LINK = Pattern.compile("\\[[^\\]]*\\]\\(([^)\\s]+)\\)");
  private static final Pattern HEADING = Pattern.compile("(?m)^#{1,6}\\s+(.+)$");

  /** The reactor root: the nearest folder up from the working directory with README.md and pom.xml. */
  static Path repoRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !(Files.exists(dir.resolve("README.md")) && Files.exists(dir.resolve("pom.xml"))
        && Files.isDirectory(dir.resolve("cli")))) {
      dir = dir.getParent();
    }
    assertTrue(dir != null, "repository root not found above " + Path.of("").toAbsolutePath());
    return dir;
  }

  static List<Path> documents(Path root) throws IOException {
    List<Path> docs = new ArrayList<>(List.of(root.resolve("README.md"), root.resolve("BENCHMARKS.md")));
    for (String folder : List.of("docs", "deploy")) {
      if (Files.isDirectory(root.resolve(folder))) {
        try (Stream<Path> s = Files.walk(root.resolve(folder))) {
          s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
      }
    }
    return docs;
  }

  /** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
  static String anchor(String heading) {
    return heading.strip().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9 _-]", "").replace(' ', '-');
  }

  @Test
  void everyRelativeLinkResolvesInsideTheRepository() throws IOException {
    Path root = repoRoot();
    assertTrue(Files.exists(root.resolve("docs/ARCHITECTURE.md")), "docs/ARCHITECTURE.md is missing");
    List<String> broken = new ArrayList<>();
    int checked = 0;
    for (Path doc : documents(root)) {
      String text = Files.readString(doc);
      Matcher m = LINK.matcher(text);
      while (m.find()) {
        String target = m.group(1);
        if (target.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*")) {
          continue; // http:, https:, mailto:
        }
        checked++;
        int hash = target.indexOf('#');
        String file = hash < 0 ? target : target.substring(0, hash);
        String fragment = hash < 0 ? "" : target.substring(hash + 1);
        Path resolved = file.isEmpty() ? doc : doc.getParent().resolve(file).normalize();
        String where = root.relativize(doc) + ": " + target;
        if (!resolved.startsWith(root) || !Files.exists(resolved)) {
          broken.add(where + " (no such file in the repository)");
        } else if (!fragment.isEmpty() && resolved.toString().endsWith(".md")
            && HEADING.matcher(Files.readString(resolved)).results().map(h -> anchor(h.group(1)))
                .noneMatch(fragment::equals)) {
          broken.add(where + " (no heading #" + fragment + ")");
        }
      }
    }
    assertEquals(List.of(), broken);
    assertTrue(checked >= 5, "only " + checked + " relative links found");
  }

  @Test
  void noDocumentPointsOutsideTheRepository() throws IOException {
    Path root = repoRoot();
    for (Path doc : documents(root)) {
      String text = Files.readString(doc);
      assertTrue(!text.contains("../shared/") && !text.contains("shared/DESIGN.md"),
          root.relativize(doc) + " refers to a design document outside the repository");
    }
  }

  @Test
  void anchors_followGithub() {
    assertEquals("job-spec-json-admin-api", anchor("Job spec JSON (admin API)"));
  }
}
