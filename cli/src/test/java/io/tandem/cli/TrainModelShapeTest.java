package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** {@code tandem train --model gpt:..}: a shape trains like any preset; a preset is a name for its shape. */
class TrainModelShapeTest {
  private static final String SHAPE = "gpt:layers=2,hidden=32,heads=2,seq=16,vocab=256";

  private static String finalLine(String model, int devices) {
    return finalLine(model, devices, 4, 2, 2);
  }

  private static String finalLine(String model, int devices, int microbatches, int microbatchSize, int steps) {
    String[] args = Stream.of("train", "--model", model, "--backend", "cpu", "--devices", Integer.toString(devices),
        "--microbatches", Integer.toString(microbatches), "--microbatch-size", Integer.toString(microbatchSize),
        "--steps", Integer.toString(steps),
        "--seed", "5").toArray(String[]::new);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = TandemCli.run(args, new PrintWriter(out), new PrintWriter(err));
    assertEquals(0, code, err.toString());
    return out.toString().lines().filter(l -> l.startsWith("final ")).findFirst()
        .orElseThrow(() -> new AssertionError("no final line in: " + out));
  }

  @Test
  void shape_onTwoDevices_equalsOneDevice_bitwise() {
    String one = finalLine(SHAPE, 1);
    assertTrue(one.contains("weights-sha256="), one);
    assertEquals(one, finalLine(SHAPE, 2));
  }

  @Test
  void presetName_andItsShapeString_trainTheSameWeights() {
    assertEquals(finalLine("gpt-tiny", 2, 2, 1, 1),
        finalLine("gpt:layers=6,hidden=64,heads=4,seq=64,vocab=256", 2, 2, 1, 1));
    assertEquals(finalLine("mlp-small", 2, 2, 1, 1), finalLine("mlp:layers=3,hidden=128,seq=64,vocab=256", 2, 2, 1, 1));
  }

  @Test
  void badShape_isOneLineNamingTheRule_inTrainPlanAndProfile() {
    String bad = "gpt:layers=2,hidden=30,heads=4,seq=16,vocab=256";
    for (List<String> args : List.of(List.of("train", "--model", bad), List.of("plan", "--model", bad, "--devices", "2",
        "--global-batch", "8"), List.of("profile", "--model", bad, "--out", "unused.json"))) {
      StringWriter err = new StringWriter();
      int code = TandemCli.run(args.toArray(String[]::new), new PrintWriter(new StringWriter()), new PrintWriter(err));
      assertEquals(TandemCli.USER_ERROR, code, err.toString());
      assertEquals(1, err.toString().strip().lines().count(), err.toString());
      assertTrue(err.toString().contains(bad + ": hidden (30) must be divisible by heads (4)"), err.toString());
    }
  }
}
