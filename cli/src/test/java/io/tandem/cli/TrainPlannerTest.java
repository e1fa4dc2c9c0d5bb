package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** {@code tandem train --schedule planner}: the planner's schedule and layer split change nothing of the math. */
class TrainPlannerTest {
  private static final String[] JOB = {"train", "--model", "gpt-tiny", "--backend", "cpu", "--devices", "2",
      "--microbatches", "4", "--steps", "2", "--seed", "7"};

  private static String finalLine(String... schedule) {
    String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(JOB), java.util.Arrays.stream(schedule))
        .toArray(String[]::new);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = TandemCli.run(args, new PrintWriter(out), new PrintWriter(err));
    assertEquals(0, code, err.toString());
    return out.toString().lines().filter(l -> l.startsWith("final ")).findFirst()
        .orElseThrow(() -> new AssertionError("no final line in: " + out));
  }

  @Test
  void plannerChoice_endsWithTheWeightsOfAHandPickedSchedule() {
    // a budget that the whole model on one device does not meet: the plan is a pipeline, not replicas
    String planned = finalLine("--schedule", "planner", "--device-memory", "11MiB");
    String oneFOneB = finalLine("--schedule", "1f1b");
    assertTrue(planned.contains("weights-sha256="), planned);
    assertEquals(oneFOneB, planned);
  }

  @Test
  void plannerChoice_withABudgetNothingFits_isAOneLineUserError() {
    String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(JOB),
        java.util.stream.Stream.of("--schedule", "planner", "--device-memory", "1KiB")).toArray(String[]::new);
    StringWriter err = new StringWriter();
    int code = TandemCli.run(args, new PrintWriter(new StringWriter()), new PrintWriter(err));
    assertEquals(TandemCli.USER_ERROR, code, err.toString());
    assertTrue(err.toString().startsWith("tandem: deviceMemoryBytes: no plan fits"), err.toString()); // the validator's field
    assertEquals(1, err.toString().strip().lines().count(), err.toString());
  }
}
