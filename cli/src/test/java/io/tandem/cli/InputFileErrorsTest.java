package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every file the user gives (profile JSON, devices file, schedule JSON) that is empty or
 * malformed gets one line naming the file and the field, never the JSON library's internals.
 */
class InputFileErrorsTest {
  @TempDir Path dir;

  private Path file(String name, String content) throws IOException {
    return Files.writeString(dir.resolve(name), content);
  }

  /** Runs the command and checks one user-error line naming {@code file} and containing {@code words}. */
  private static void assertOneLine(Path file, String[] args, String... words) {
    String[] r = ChecksBeforeWorkTest.run(args);
    assertEquals(Integer.toString(TandemCli.USER_ERROR), r[0], r[2]);
    String err = r[2].strip();
    assertTrue(err.startsWith("tandem: ") && err.lines().count() == 1, err);
    assertTrue(err.contains(file.toString()), err);
    for (String w : words) {
      assertTrue(err.contains(w), err);
    }
    for (String internal : new String[] {"FAIL_ON", "creator", "DeserializationFeature", "MismatchedInput", "\tat "}) {
      assertFalse(err.contains(internal), err);
    }
  }

  private static String[] plan(String option, Path file) {
    return option.equals("--profile")
        ? new String[] {"plan", "--profile", file.toString(), "--devices", "4", "--device-memory", "64MiB", "--global-batch", "32"}
        : new String[] {"plan", "--model", "gpt-tiny", "--devices-file", file.toString(), "--global-batch", "32"};
  }

  @Test
  void profile_emptyObject_namesTheMissingField() throws IOException {
    Path f = file("empty.json", "{}");
    assertOneLine(f, plan("--profile", f), "missing field 'model'");
  }

  @Test
  void profile_emptyFile_saysEmpty() throws IOException {
    Path f = file("zero.json", "");
    assertOneLine(f, plan("--profile", f), "empty");
  }

  @Test
  void profile_truncated_isNotValidJsonWithWhere() throws IOException {
    Path f = file("cut.json", "{\"model\":\"x\",\"layers\":[");
    assertOneLine(f, plan("--profile", f), "not valid JSON", "line 1");
  }

  @Test
  void profile_wrongTypeAndUnknownField_nameTheField() throws IOException {
    String layer = "{\"name\":\"embed\",\"forwardMs\":\"fast\",\"backwardInputMs\":0,\"backwardWeightMs\":0,"
        + "\"parameterBytes\":0,\"gradientBytes\":0,\"optimizerBytes\":0,\"activationBytesForB\":0,"
        + "\"activationBytesForW\":0,\"gradientBytesForW\":0,\"outputBytes\":0}";
    Path f = file("type.json", "{\"model\":\"m\",\"microbatchSize\":1,\"source\":\"\",\"passOverheadMs\":0,\"layers\":["
        + layer + "]}");
    assertOneLine(f, plan("--profile", f), "layers[0].forwardMs");
    Path g = file("unknown.json", "{\"model\":\"m\",\"microbatchSize\":1,\"source\":\"\",\"passOverheadMs\":0,"
        + "\"microbatchSze\":1,\"layers\":[" + layer.replace("\"fast\"", "1") + "]}");
    assertOneLine(g, plan("--profile", g), "unknown field 'microbatchSze'");
  }

  @Test
  void devicesFile_badValues_nameTheDeviceAndField() throws IOException {
    Path f = file("devices.json", "{\"devices\":[{\"id\":\"gpu0\",\"memory\":\"24GiB\"},{\"memory\":\"lots\"}]}");
    assertOneLine(f, plan("--devices-file", f), "devices[1].memory");
    Path g = file("broken.json", "{\"devices\":[");
    assertOneLine(g, plan("--devices-file", g), "not valid JSON");
    Path h = file("empty-devices.json", "");
    assertOneLine(h, plan("--devices-file", h), "devices");
  }

  @Test
  void scheduleJson_emptyOrMalformed_namesTheFile() throws IOException {
    Path f = file("s.json", "");
    assertOneLine(f, new String[] {"schedule", "validate", f.toString()}, "empty");
    Path g = file("t.json", "{\"devices\":\"four\"}");
    assertOneLine(g, new String[] {"schedule", "import", g.toString()}, "missing \"name\"");
  }
}
