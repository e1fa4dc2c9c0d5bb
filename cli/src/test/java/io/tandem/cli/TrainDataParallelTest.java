package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code tandem train --data-parallel D}: the same mean gradient as one device, summed in another order. */
class TrainDataParallelTest {
  private static final Pattern FINAL = Pattern.compile("final step=(\\d+) loss=([0-9.]+) weights-sha256=(\\w+)");

  private record Run(String out, String err, double loss) {}

  private static final List<String> BASE = List.of("--backend", "cpu", "--model", "gpt-tiny", "--optimizer", "sgd",
      "--microbatches", "4", "--microbatch-size", "2", "--seed", "3");

  private static Run train(String... extra) {
    List<String> args = new ArrayList<>(List.of("train"));
    args.addAll(BASE);
    args.addAll(List.of("--steps", "10"));
    args.addAll(List.of(extra));
    Run r = trainRaw(args.toArray(String[]::new));
    assertTrue(r.out().contains("final step=10 "), r.out());
    return r;
  }

  private static Run trainRaw(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = TandemCli.run(args, new PrintWriter(out), new PrintWriter(err));
    assertEquals(0, code, err.toString());
    Matcher m = FINAL.matcher(out.toString());
    assertTrue(m.find(), "no final line in: " + out);
    return new Run(out.toString(), err.toString(), Double.parseDouble(m.group(2)));
  }

  private static String sha(String out) {
    Matcher m = FINAL.matcher(out);
    assertTrue(m.find(), out);
    return m.group(3);
  }

  @Test
  void twoDevicesAsTwoReplicas_reachTheLossOfOneDevice() {
    Run one = train("--devices", "1");
    Run two = train("--devices", "2", "--data-parallel", "2");
    assertTrue(two.err().contains("on 2 cpu device(s) (2 data-parallel replicas x 1 pipeline devices)"), two.err());
    double rel = Math.abs(two.loss() - one.loss()) / one.loss();
    assertTrue(rel <= 1e-3, "loss after 10 steps: one device " + one.loss() + ", 2 replicas " + two.loss());
  }

  /** Replica 0 writes the checkpoints; resuming two replicas from step 5 gives the uninterrupted run's weights. */
  @Test
  void twoReplicas_checkpointAndResume_continueBitwise(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    String whole = sha(train("--devices", "4", "--data-parallel", "2", "--schedule", "1f1b").out());
    List<String> first = new ArrayList<>(List.of("train"));
    first.addAll(BASE);
    first.addAll(List.of("--devices", "4", "--data-parallel", "2", "--schedule", "1f1b", "--steps", "5",
        "--checkpoint-dir", dir.toString()));
    Run firstHalf = trainRaw(first.toArray(String[]::new));
    assertTrue(firstHalf.out().contains("final step=5 "), firstHalf.out());
    Run resumed = trainRaw("train", "--resume", dir.toString(), "--devices", "4", "--data-parallel", "2",
        "--steps", "10");
    assertEquals(whole, sha(resumed.out()), resumed.err());
  }

  @Test
  void devicesNotAMultipleOfReplicas_isOneLine() {
    StringWriter err = new StringWriter();
    int code = TandemCli.run(new String[] {"train", "--devices", "3", "--data-parallel", "2"},
        new PrintWriter(new StringWriter()), new PrintWriter(err));
    assertEquals(TandemCli.USER_ERROR, code, err.toString());
    assertEquals("tandem: devices: 3 is not a multiple of dataParallel 2 (devices = dataParallel x pipeline depth)",
        err.toString().strip());
  }
}
