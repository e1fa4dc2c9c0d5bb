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

/** {@code --schedule planner} runs the planner's whole plan, data-parallel replicas included (issue 13). */
class TrainPlannerReplicasTest {
  private static final Pattern FINAL = Pattern.compile("final step=2 loss=[0-9.]+ weights-sha256=(\\w+)");

  private record Run(String err, String sha) {}

  private static Run train(String... extra) {
    List<String> args = new ArrayList<>(List.of("train", "--backend", "cpu", "--model", "gpt-tiny", "--optimizer", "sgd",
        "--microbatches", "8", "--steps", "2", "--seed", "5"));
    args.addAll(List.of(extra));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = TandemCli.run(args.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err));
    assertEquals(0, code, err.toString());
    Matcher m = FINAL.matcher(out.toString());
    assertTrue(m.find(), "no final line in: " + out);
    return new Run(err.toString(), m.group(1));
  }

  @Test
  void plannerWithReplicas_runsThemAndTrainsAsTheSameReplicasByHand() {
    Run planned = train("--devices", "4", "--schedule", "planner");
    Matcher d = Pattern.compile("\\((\\d+) data-parallel replicas x (\\d+) pipeline devices\\)").matcher(planned.err());
    assertTrue(d.find(), "the planner's plan for gpt-tiny on 4 devices has replicas: " + planned.err());
    int replicas = Integer.parseInt(d.group(1));
    Run byHand = train("--devices", String.valueOf(replicas), "--data-parallel", String.valueOf(replicas),
        "--schedule", "1f1b");
    assertEquals(byHand.sha(), planned.sha(), "same replicas, same grouping: same weights whatever the pipeline");
    assertTrue(planned.err().contains("planner estimate ["), "the estimate covers every replica's devices: "
        + planned.err());
  }
}
