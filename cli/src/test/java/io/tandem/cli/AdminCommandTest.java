package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tandem.actors.admin.AdminServer;
import io.tandem.actors.cluster.ClusterNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code tandem admin} against a real admin server on a one-member loopback cluster. */
@Timeout(120)
class AdminCommandTest {
  static final String TOKEN = "cli-token-789";
  static ClusterNode node;
  static AdminServer server;

  @BeforeAll
  static void start() {
    node = ClusterNode.start("127.0.0.1", 0, List.of(), List.of("coordinator", "worker"), 2);
    server = AdminServer.start(node, "127.0.0.1", 0, TOKEN, List.of());
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
    if (node != null) {
      node.close();
    }
  }

  /** Runs {@code tandem admin --url URL --token TOKEN args...}: {exit code, stdout, stderr}. */
  static String[] admin(String token, String... args) {
    List<String> all = new ArrayList<>(List.of("admin", "--url", server.url()));
    if (token != null) {
      all.addAll(List.of("--token", token));
    }
    all.addAll(List.of(args));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = TandemCli.run(all.toArray(new String[0]), new PrintWriter(out), new PrintWriter(err));
    return new String[] {Integer.toString(code), out.toString(), err.toString()};
  }

  @Test
  void cluster_printsATableOfMembers() {
    String[] r = admin(TOKEN, "cluster");
    assertEquals("0", r[0], r[2]);
    assertTrue(r[1].startsWith("ADDRESS"), r[1]);
    assertTrue(r[1].contains(node.address().toString()) && r[1].contains("coordinator,worker"), r[1]);
  }

  @Test
  void json_printsTheApisJson() throws Exception {
    String[] r = admin(TOKEN, "--json", "cluster");
    assertEquals("0", r[0], r[2]);
    JsonNode c = new ObjectMapper().readTree(r[1]);
    assertEquals(node.address().toString(), c.get("members").get(0).get("address").asText());
    r = admin(TOKEN, "jobs", "--json");
    assertTrue(new ObjectMapper().readTree(r[1]).isArray(), r[1]);
  }

  @Test
  void wrongToken_isAUserErrorNaming401() {
    String[] r = admin("nope", "jobs");
    assertEquals(Integer.toString(TandemCli.USER_ERROR), r[0]);
    assertTrue(r[2].contains("HTTP 401"), r[2]);
  }

  @Test
  void unknownJob_isAUserErrorNaming404() {
    String[] r = admin(TOKEN, "job", "missing");
    assertEquals(Integer.toString(TandemCli.USER_ERROR), r[0]);
    assertTrue(r[2].contains("HTTP 404") && r[2].contains("missing"), r[2]);
    r = admin(TOKEN, "cancel", "missing");
    assertTrue(r[2].contains("HTTP 404"), r[2]);
  }

  @Test
  void withoutACommand_saysWhichExist() {
    String[] r = admin(TOKEN);
    assertEquals(Integer.toString(TandemCli.USER_ERROR), r[0]);
    assertTrue(r[2].contains("cluster, jobs"), r[2]);
  }
}
