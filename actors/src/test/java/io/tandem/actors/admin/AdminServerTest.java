package io.tandem.actors.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tandem.actors.cluster.ClusterNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The admin server over real HTTP on a one-member cluster (coordinator and worker in this JVM). */
@Timeout(120)
class AdminServerTest {
  static final String TOKEN = "test-token-123";
  static ClusterNode node;
  static AdminServer server;
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final ObjectMapper JSON = new ObjectMapper();

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

  static HttpResponse<String> send(String method, String path, String token, String body) throws IOException,
      InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path)).timeout(Duration.ofSeconds(20))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void health_needsNoToken_everythingElseDoes() throws Exception {
    assertEquals(200, send("GET", "/health/alive", null, null).statusCode());
    assertEquals(401, send("GET", "/jobs/x", null, null).statusCode());
    assertEquals(401, send("GET", "/jobs/x", "wrong", null).statusCode());
    assertEquals(401, send("POST", "/jobs", null, "{}").statusCode());
    assertEquals(404, send("GET", "/jobs/x", TOKEN, null).statusCode());
  }

  @Test
  void badSpec_is400NamingTheField() throws Exception {
    HttpResponse<String> r = send("POST", "/jobs", TOKEN, "{\"devices\": 0, \"schedule\": \"1f1b\", \"steps\": 1,"
        + " \"microbatches\": 2, \"backend\": \"sim\"}");
    assertEquals(400, r.statusCode(), r.body());
    assertEquals("devices", JSON.readTree(r.body()).get("field").asText(), r.body());
    r = send("POST", "/jobs", TOKEN, "{\"devicez\": 2}");
    assertEquals(400, r.statusCode(), r.body());
    assertEquals("devicez", JSON.readTree(r.body()).get("field").asText(), r.body());
    r = send("POST", "/jobs", TOKEN, "{\"steps\": \"many\"}");
    assertEquals("steps", JSON.readTree(r.body()).get("field").asText(), r.body());
  }

  @Test
  void postedJob_runsToSuccess_andReportsStatusStepAndLoss() throws Exception {
    HttpResponse<String> r = send("POST", "/jobs", TOKEN, "{\"jobId\": \"sim-1\", \"backend\": \"sim\", \"opMs\": 1,"
        + " \"schedule\": \"1f1b\", \"devices\": 2, \"microbatches\": 4, \"steps\": 3, \"minNodes\": 1}");
    assertEquals(201, r.statusCode(), r.body());
    JsonNode job = JSON.readTree(r.body());
    assertEquals("sim-1", job.get("id").asText());
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!job.get("status").asText().equals("SUCCEEDED") && !job.get("status").asText().equals("FAILED")
        && System.nanoTime() < deadline) {
      Thread.sleep(200);
      job = JSON.readTree(send("GET", "/jobs/sim-1", TOKEN, null).body());
    }
    assertEquals("SUCCEEDED", job.get("status").asText(), job.toString());
    assertEquals(3, job.get("step").asInt());
    assertTrue(job.get("weightsSha256").asText().matches("[0-9a-f]{64}"), job.toString());
    assertEquals(400, send("POST", "/jobs", TOKEN, "{\"jobId\": \"sim-1\", \"backend\": \"sim\","
        + " \"schedule\": \"1f1b\", \"devices\": 2, \"microbatches\": 4, \"steps\": 3}").statusCode());
    JsonNode list = JSON.readTree(send("GET", "/jobs", TOKEN, null).body());
    assertTrue(list.isArray() && list.size() >= 1, list.toString());
  }

  @Test
  void aShortSpec_takesTheJavaBuildersDefaults_andABadOneListsEveryProblem() throws Exception {
    HttpResponse<String> r = send("POST", "/jobs", TOKEN, "{\"jobId\": \"short-1\", \"backend\": \"sim\", \"devices\": 2,"
        + " \"opMs\": 1, \"steps\": 1, \"minNodes\": 1}");
    assertEquals(201, r.statusCode(), r.body());
    JsonNode spec = JSON.readTree(r.body()).get("spec");
    assertEquals(8, spec.get("microbatches").asInt(), spec.toString());
    assertEquals("gpt-tiny", spec.get("model").asText());
    assertEquals(1.0, spec.get("clipNorm").asDouble());
    assertEquals(1, spec.get("seed").asLong());
    r = send("POST", "/jobs", TOKEN, "{\"devices\": 0, \"steps\": 0, \"optimizer\": \"lion\"}");
    assertEquals(400, r.statusCode(), r.body());
    JsonNode body = JSON.readTree(r.body());
    assertTrue(body.get("errors").size() >= 3, r.body());
    assertEquals(body.get("error").asText(), body.get("errors").get(0).get("field").asText() + ": "
        + body.get("errors").get(0).get("reason").asText());
  }
}
