package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code tandem train --recompute}: the same final weights with and without recomputation, the
 * run summary's measured and estimated peak activations, and the planner's per-stage choice
 * under a tight {@code --device-memory}.
 */
class TrainRecomputeTest {
  record Result(int code, String out, String err) {
    String finalLine() {
      String[] lines = out.strip().split("\n");
      return lines[lines.length - 1];
    }
  }

  static Result train(String... extra) {
    List<String> args = new ArrayList<>(List.of("train", "--devices", "2", "--schedule", "1f1b", "--steps", "1",
        "--microbatches", "8", "--microbatch-size", "2", "--optimizer", "sgd", "--seed", "5"));
    args.addAll(List.of(extra));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = TandemCli.run(args.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err));
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void recomputeAll_sameWeights_summaryShowsMeasuredAndEstimate() {
    Result off = train("--recompute", "none");
    Result on = train("--recompute", "all");
    assertEquals(0, off.code(), off.err());
    assertEquals(0, on.code(), on.err());
    assertTrue(off.finalLine().startsWith("final step=1 "), off.out());
    assertEquals(off.finalLine(), on.finalLine());
    assertTrue(on.err().matches("(?s).*tandem: peak activations per device: measured \\[[0-9. ]+\\] MiB, planner"
        + " estimate \\[[0-9. ]+\\] MiB \\(recompute all\\)\n.*"), on.err());
  }

  /** 5.8 MiB per device: 1F1B on 2 devices fits only when both stages recompute (the planner says). */
  @Test
  void recomputePlanner_underATightBudget_recomputesWhereThePlannerSays() {
    Result off = train();
    Result planned = train("--recompute", "planner", "--device-memory", "5.8MiB");
    assertEquals(0, planned.code(), planned.err());
    assertTrue(planned.err().contains("(recompute planner (2/2 stages))"), planned.err());
    assertEquals(off.finalLine(), planned.finalLine());
    Result tooTight = train("--recompute", "planner", "--device-memory", "4MiB");
    assertEquals(TandemCli.USER_ERROR, tooTight.code());
    assertTrue(tooTight.err().startsWith("tandem: deviceMemoryBytes: no plan fits:"), tooTight.err());
    assertEquals(1, tooTight.err().strip().lines().count(), tooTight.err());
  }

  @Test
  void badMode_oneLineError() {
    Result r = train("--recompute", "sometimes");
    assertEquals(TandemCli.USER_ERROR, r.code());
    assertEquals("tandem: recompute: must be one of none, all, planner, got 'sometimes'", r.err().strip());
  }
}
