package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tandem.actors.admin.JobSpecJson;
import java.nio.file.Files;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The job spec table of docs/ARCHITECTURE.md says what a left-out field becomes: for every row
 * whose default is a plain number or a backticked word, an empty JSON spec must mean exactly that.
 */
class JobSpecDefaultsDocTest {
  private static final Pattern ROW = Pattern.compile("^\\| `(\\w+)` \\| ([^|]+?) \\|", Pattern.MULTILINE);

  @Test
  void everyPlainDefaultInTheTable_isWhatAnEmptySpecGets() throws Exception {
    String doc = Files.readString(MarkdownLinksTest.repoRoot().resolve("docs/ARCHITECTURE.md"));
    JsonNode empty = JobSpecJson.toJson(JobSpecJson.parse("{}"));
    Matcher m = ROW.matcher(doc.substring(doc.indexOf("## Job spec JSON")));
    int checked = 0;
    while (m.find()) {
      String field = m.group(1);
      String stated = m.group(2).trim();
      Matcher plain = Pattern.compile("^`?([\\w.-]+)`?$").matcher(stated.split(" \\(")[0].trim());
      if (!plain.matches() || stated.startsWith("none") || stated.startsWith("empty")
          || stated.startsWith("generated")) {
        continue;
      }
      JsonNode actual = empty.get(field);
      // an unset number prints as 0; an unset string enum (e.g. recompute) means none
      String value = actual == null ? "0" : actual.asText().isEmpty() ? "none" : actual.asText();
      assertTrue(same(plain.group(1), value),
          "docs/ARCHITECTURE.md says " + field + " defaults to " + stated + "; an empty spec gets " + value);
      checked++;
    }
    assertTrue(checked >= 10, "only " + checked + " defaults checked: the table's format changed?");
  }

  /** Numbers as numbers, words as words (case aside). */
  private static boolean same(String stated, String actual) {
    try {
      return Double.parseDouble(stated) == Double.parseDouble(actual);
    } catch (NumberFormatException e) {
      return stated.equalsIgnoreCase(actual);
    }
  }
}
