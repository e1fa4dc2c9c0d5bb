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

  private record Run(String err, double loss) {}

  private static Run train(String... extra) {
    List<String> args = new ArrayList<>(List.of("train", "--backend", "cpu", "--model", "gpt-tiny", "--optimizer", "sgd",
        "--microbatches", "4", "--microbatch-size", "2", "--steps", "10", "--seed", "3"));
    args.addAll(List.of(extra));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = TandemCli.run(args.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err));
    assertEquals(0, code, err.toString());
    Matcher m = FINAL.matcher(out.toString());
    assertTrue(m.find(), "no final line in: " + out);
    assertEquals("10", m.group(1));
    return new Run(err.toString(), Double.parseDouble(m.group(2)));
  }

  @Test
  void twoDevicesAsTwoReplicas_reachTheLossOfOneDevice() {
    Run one = train("--devices", "1");
    Run two = train("--devices", "2", "--data-parallel", "2");
    assertTrue(two.err().contains("on 2 cpu device(s) (2 data-parallel replicas x 1 pipeline devices)"), two.err());
    double rel = Math.abs(two.loss() - one.loss()) / one.loss();
    assertTrue(rel <= 1e-3, "loss after 10 steps: one device " + one.loss() + ", 2 replicas " + two.loss());
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
