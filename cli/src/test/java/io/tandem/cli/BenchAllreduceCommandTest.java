package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** {@code tandem bench allreduce --json}: one object per (D, size), its numbers consistent with their definitions. */
class BenchAllreduceCommandTest {
  @Test
  void json_reportsEachReplicaCountAndSize_withTheBoundFromTheSocketBandwidth() throws Exception {
    StringWriter out = new StringWriter();
    int code = TandemCli.run(new String[] {"bench", "allreduce", "--replicas", "2,3", "--sizes-mb", "1",
        "--rounds", "1", "--json"}, new PrintWriter(out), new PrintWriter(new StringWriter()));
    assertEquals(0, code, out.toString());
    String[] lines = out.toString().strip().split("\n");
    assertEquals(2, lines.length, out.toString());
    for (int i = 0; i < lines.length; i++) {
      JsonNode j = new ObjectMapper().readTree(lines[i]);
      int d = i + 2;
      assertEquals(d, j.get("replicas").asInt());
      assertEquals(1, j.get("tensorMB").asInt());
      double t = j.get("seconds").asDouble();
      double factor = 2.0 * (d - 1) / d;
      assertTrue(t > 0, lines[i]);
      assertEquals(1 / t, j.get("algbwMBps").asDouble(), 0.06 / t + 0.1, lines[i]);
      assertEquals(factor / t, j.get("busbwMBps").asDouble(), 0.06 / t + 0.1, lines[i]);
      assertEquals(factor / j.get("socketMBps").asDouble(), j.get("boundSeconds").asDouble(), 1e-3, lines[i]);
      assertEquals(j.get("boundSeconds").asDouble() / t, j.get("ratio").asDouble(), 0.01 + 1e-3 / t, lines[i]);
      assertTrue(j.get("authOffSeconds").asDouble() > 0, lines[i]);
    }
  }

  @Test
  void oneReplica_isAUserError() {
    StringWriter err = new StringWriter();
    int code = TandemCli.run(new String[] {"bench", "allreduce", "--replicas", "1"},
        new PrintWriter(new StringWriter()), new PrintWriter(err));
    assertEquals(TandemCli.USER_ERROR, code);
    assertTrue(err.toString().startsWith("tandem: --replicas"), err.toString());
  }
}
