package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trained model as the product: the final step is always checkpointed; {@code checkpoint
 * list|verify|export}, {@code generate}, {@code eval} read it; {@code --resume} continues it bit
 * for bit.
 */
class TrainedModelCommandsTest {
  private static final String[] JOB = {"train", "--model", "gpt-tiny", "--backend", "cpu", "--microbatches", "4",
      "--microbatch-size", "2", "--seed", "5", "--schedule", "1f1b"};

  @TempDir static Path tmp;
  private static Path fullRun;
  private static String fullHash;

  record Result(int code, String out, String err) {
    String hash() {
      return out.lines().filter(l -> l.contains("weights-sha256=")).map(l -> l.substring(l.indexOf("weights-sha256=") + 15))
          .findFirst().orElseThrow(() -> new AssertionError("no weights-sha256 in: " + out + err));
    }
  }

  static Result tandem(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = TandemCli.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Result(code, out.toString(), err.toString());
  }

  static Result train(String... more) {
    Result r = tandem(Stream.concat(Arrays.stream(JOB), Arrays.stream(more)).toArray(String[]::new));
    assertEquals(0, r.code(), r.err());
    return r;
  }

  @BeforeAll
  static void trainFourSteps() {
    fullRun = tmp.resolve("full");
    fullHash = train("--devices", "2", "--steps", "4", "--checkpoint-dir", fullRun.toString()).hash();
  }

  @Test
  void theFinalStepIsCheckpointed_andVerifyPrintsTheRunsHash() {
    Result list = tandem("checkpoint", "list", fullRun.toString());
    assertEquals(0, list.code(), list.err());
    assertTrue(list.out().lines().anyMatch(l -> l.startsWith("4 ") && l.contains("gpt-tiny")), list.out());

    Result verify = tandem("checkpoint", "verify", fullRun.toString());
    assertEquals(0, verify.code(), verify.err());
    assertEquals(fullHash, verify.hash());
  }

  @Test
  void resume_continuesAnInterruptedJob_toTheSameWeights_onAnotherPartitionToo() {
    Path part = tmp.resolve("part");
    train("--devices", "2", "--steps", "2", "--checkpoint-dir", part.toString());
    assertEquals(fullHash, train("--resume", part.toString(), "--steps", "4").hash());
    // the resumed run checkpointed its own final step into the same directory; step-2 is still there
    assertEquals(fullHash, train("--resume", part.resolve("step-2").toString(), "--steps", "4", "--devices", "1")
        .hash());
    Result elsewhere = tandem("train", "--resume", part.toString(), "--steps", "6", "--checkpoint-dir",
        tmp.resolve("elsewhere").toString());
    assertEquals(TandemCli.USER_ERROR, elsewhere.code(), elsewhere.err());
  }

  @Test
  void resume_refusesAChangedLearningRate_andTooFewSteps_inOneLine() {
    Result lr = tandem("train", "--resume", fullRun.toString(), "--steps", "6", "--lr", "0.1");
    assertEquals(TandemCli.USER_ERROR, lr.code());
    assertTrue(lr.err().contains("--lr") && lr.err().strip().lines().count() == 1, lr.err());
    Result few = tandem("train", "--resume", fullRun.toString(), "--steps", "4");
    assertEquals(TandemCli.USER_ERROR, few.code());
    assertTrue(few.err().contains("not past the checkpoint's step 4"), few.err());
  }

  @Test
  void generate_isDeterministicForASeed_andContinuesThePrompt() {
    String[] args = {"generate", "--checkpoint", fullRun.toString(), "--prompt", "The ", "--tokens", "12", "--seed", "3"};
    Result a = tandem(args);
    Result b = tandem(args);
    assertEquals(0, a.code(), a.err());
    assertEquals(a.out(), b.out());
    assertTrue(a.out().startsWith("The "), a.out());
    Result greedy = tandem("generate", "--checkpoint", fullRun.toString(), "--prompt", "The ", "--tokens", "12",
        "--temperature", "0");
    assertEquals(0, greedy.code(), greedy.err());
  }

  @Test
  void eval_printsLossAndPerplexity() {
    Result r = tandem("eval", "--checkpoint", fullRun.toString(), "--batches", "2", "--batch-size", "2");
    assertEquals(0, r.code(), r.err());
    String line = r.out().strip();
    assertTrue(line.matches("eval step=4 dataset=\\S+ batches=2 loss=[0-9.]+ perplexity=[0-9.]+"), line);
    double loss = Double.parseDouble(line.replaceAll(".*loss=([0-9.]+).*", "$1"));
    double ppl = Double.parseDouble(line.replaceAll(".*perplexity=([0-9.]+).*", "$1"));
    assertEquals(Math.exp(loss), ppl, 1e-3 * ppl);
  }

  @Test
  void export_writesSafetensorsThatParse() throws IOException {
    Path out = tmp.resolve("model.safetensors");
    Result r = tandem("checkpoint", "export", fullRun.toString(), "--format", "safetensors", out.toString());
    assertEquals(0, r.code(), r.err());
    byte[] bytes = Files.readAllBytes(out);
    long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
    assertTrue(header.contains("\"embed.token\":{\"dtype\":\"F32\",\"shape\":[256,64]"), header);
    assertTrue(header.contains("\"head.weight\""), header);
    assertTrue(header.contains(fullHash), header);
    List<Long> ends = new ArrayList<>();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"data_offsets\":\\[(\\d+),(\\d+)]").matcher(header);
    while (m.find()) {
      ends.add(Long.parseLong(m.group(2)));
    }
    assertEquals(bytes.length - 8 - headerLength, ends.stream().mapToLong(Long::longValue).max().orElseThrow());
  }

  @Test
  void badCheckpoints_areOneLineErrors_namingTheFile() throws IOException {
    Result none = tandem("checkpoint", "verify", tmp.resolve("nothing-here").toString());
    assertEquals(TandemCli.USER_ERROR, none.code());
    assertTrue(none.err().contains("does not exist") && none.err().strip().lines().count() == 1, none.err());

    Path broken = tmp.resolve("broken");
    train("--devices", "1", "--steps", "1", "--checkpoint-dir", broken.toString());
    Path layer = Files.list(broken.resolve("step-1")).filter(p -> !p.getFileName().toString().equals("manifest.pb"))
        .sorted().findFirst().orElseThrow();
    byte[] b = Files.readAllBytes(layer);
    b[b.length - 1] ^= 1;
    Files.write(layer, b);
    Result bad = tandem("checkpoint", "verify", broken.toString(), "--step", "1");
    assertEquals(TandemCli.USER_ERROR, bad.code());
    assertTrue(bad.err().contains(layer.getFileName().toString()), bad.err());
    assertEquals(1, bad.err().strip().lines().count(), bad.err());
    assertNotEquals("", bad.err());
  }
}
