package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class BenchPlannerCommandTest {
  @Test
  void smallRun_printsTimingsAndTheHybridComparison() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = TandemCli.run(new String[] {"bench", "planner", "--layers", "24", "--devices", "4", "--skip-replan",
        "--hybrid-devices", "8", "--hybrid-memory", "80GiB", "--repeat", "1"}, new PrintWriter(out), new PrintWriter(err));
    assertEquals(0, code, err.toString());
    assertTrue(out.toString().contains("24       64"), out.toString());
    assertTrue(out.toString().contains("throughput gain of the best plan over the best 1F1B plan"), out.toString());
  }

  @Test
  void badRepeat_isAUserError() {
    StringWriter err = new StringWriter();
    int code = TandemCli.run(new String[] {"bench", "planner", "--repeat", "0"}, new PrintWriter(new StringWriter()),
        new PrintWriter(err));
    assertEquals(TandemCli.USER_ERROR, code);
    assertTrue(err.toString().startsWith("tandem: --repeat"), err.toString());
  }
}
