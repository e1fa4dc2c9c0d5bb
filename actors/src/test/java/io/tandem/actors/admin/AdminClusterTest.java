package io.tandem.actors.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tandem.actors.JobConfig;
import io.tandem.actors.JobEvent;
import io.tandem.actors.JobFactory;
import io.tandem.actors.LocalRuntime;
import io.tandem.actors.cluster.ClusterNode;
import io.tandem.proto.JobSpec;
import io.tandem.schedule.Schedule;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin API over real HTTP against a loopback cluster of a coordinator and two worker
 * members (three actor systems in this JVM): auth, cluster view, field-named 400s, checkpoint
 * and cancel, metrics, and drain moving a job off a node without changing its final weights.
 */
@Timeout(240)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AdminClusterTest {
  static final String TOKEN = "cluster-token-456";
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final ObjectMapper JSON = new ObjectMapper();
  static ClusterNode coordinator;
  static final List<ClusterNode> workers = new ArrayList<>();
  static AdminServer server;
  @TempDir static Path checkpoints;

  @BeforeAll
  static void start() throws Exception {
    coordinator = ClusterNode.start("127.0.0.1", 0, List.of(), List.of("coordinator"), 0);
    for (int i = 0; i < 2; i++) {
      workers.add(ClusterNode.start("127.0.0.1", 0, List.of("127.0.0.1:" + coordinator.port()), List.of("worker"), 1));
    }
    server = AdminServer.start(coordinator, "127.0.0.1", 0, TOKEN, List.of());
    JsonNode cluster = poll("/cluster", c -> upWithDevices(c) == 2, Duration.ofSeconds(60));
    assertEquals(2, upWithDevices(cluster), cluster.toString());
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
    workers.forEach(ClusterNode::close);
    if (coordinator != null) {
      coordinator.close();
    }
  }

  static long upWithDevices(JsonNode cluster) {
    long n = 0;
    for (JsonNode m : cluster.get("members")) {
      if (m.get("status").asText().equals("UP") && m.get("devices").size() > 0) {
        n++;
      }
    }
    return n;
  }

  static HttpResponse<String> send(String method, String path, String token, String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path)).timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode poll(String path, Predicate<JsonNode> done, Duration limit) throws Exception {
    long deadline = System.nanoTime() + limit.toNanos();
    JsonNode last;
    do {
      HttpResponse<String> r = send("GET", path, TOKEN, null);
      assertEquals(200, r.statusCode(), r.body());
      last = JSON.readTree(r.body());
      if (done.test(last)) {
        return last;
      }
      Thread.sleep(200);
    } while (System.nanoTime() < deadline);
    return last;
  }

  static boolean ended(JsonNode job) {
    return List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(job.get("status").asText());
  }

  @Test
  void everyEndpointButHealth_needsTheToken() throws Exception {
    for (String[] call : new String[][] {{"GET", "/cluster"}, {"GET", "/jobs"}, {"GET", "/metrics"},
        {"POST", "/jobs/x/cancel"}, {"POST", "/jobs/x/checkpoint"}, {"POST", "/nodes/x/drain"}}) {
      assertEquals(401, send(call[0], call[1], null, null).statusCode(), call[1]);
      assertEquals(401, send(call[0], call[1], "wrong", null).statusCode(), call[1]);
    }
    HttpResponse<String> ready = send("GET", "/health/ready", null, null);
    assertEquals(200, ready.statusCode(), ready.body());
    JsonNode body = JSON.readTree(ready.body());
    assertEquals("ready", body.get("status").asText(), body.toString());
    assertEquals(3, body.get("members").size(), body.toString());
    assertEquals(2, body.get("devices").asInt(), body.toString());
    assertEquals(200, send("GET", "/cluster", TOKEN, null).statusCode());
    assertEquals(200, send("GET", "/metrics", TOKEN, null).statusCode());
    assertEquals(404, send("POST", "/jobs/nope/cancel", TOKEN, null).statusCode());
    assertEquals(404, send("POST", "/nodes/pekko:%2F%2Ftandem@nowhere:1/drain", TOKEN, null).statusCode());
  }

  @Test
  void cluster_listsMembersWithRolesAndDevices() throws Exception {
    JsonNode c = JSON.readTree(send("GET", "/cluster", TOKEN, null).body());
    assertEquals(3, c.get("members").size(), c.toString());
    int coordinators = 0;
    for (JsonNode m : c.get("members")) {
      String roles = m.get("roles").toString();
      if (roles.contains("coordinator")) {
        coordinators++;
        assertEquals(0, m.get("devices").size());
      } else {
        assertTrue(roles.contains("worker"), roles);
        assertEquals(1, m.get("devices").size(), m.toString());
      }
    }
    assertEquals(1, coordinators);
  }

  @Test
  void badSpec_is400WithTheFieldAndReason() throws Exception {
    HttpResponse<String> r = send("POST", "/jobs", TOKEN, "{\"backend\": \"sim\", \"devices\": 2, \"microbatches\": 0,"
        + " \"steps\": 1}");
    assertEquals(400, r.statusCode(), r.body());
    JsonNode e = JSON.readTree(r.body());
    assertEquals("microbatches", e.get("field").asText(), r.body());
    assertTrue(e.get("reason").asText().contains(">= 1"), r.body());
    r = send("POST", "/jobs", TOKEN, "{\"backend\": \"sim\", \"devices\": 2, \"microbatches\": 2, \"steps\": 1,"
        + " \"schedule\": \"zz\"}");
    assertEquals("schedule", JSON.readTree(r.body()).get("field").asText(), r.body());
  }

  @Test
  void checkpointThenCancel_ofARunningJob() throws Exception {
    HttpResponse<String> r = send("POST", "/jobs", TOKEN, "{\"jobId\": \"cp-sim\", \"backend\": \"sim\", \"opMs\": 5,"
        + " \"devices\": 2, \"microbatches\": 4, \"steps\": 100000, \"minNodes\": 2, \"checkpointDir\": \""
        + checkpoints.resolve("cp-sim").toString().replace("\\", "/") + "\"}");
    assertEquals(201, r.statusCode(), r.body());
    poll("/jobs/cp-sim", j -> j.get("step").asLong() >= 1, Duration.ofSeconds(60));

    r = send("POST", "/jobs/cp-sim/checkpoint", TOKEN, null);
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(JSON.readTree(r.body()).get("step").asLong() >= 2, r.body());

    r = send("POST", "/jobs/cp-sim/cancel", TOKEN, null);
    assertEquals(202, r.statusCode(), r.body());
    JsonNode job = poll("/jobs/cp-sim", AdminClusterTest::ended, Duration.ofSeconds(60));
    assertEquals("CANCELLED", job.get("status").asText(), job.toString());
    assertEquals(409, send("POST", "/jobs/cp-sim/cancel", TOKEN, null).statusCode());
    String metrics = send("GET", "/metrics", TOKEN, null).body();
    assertTrue(metrics.contains("tandem_job_status{job=\"cp-sim\",status=\"CANCELLED\"} 1"), metrics);
    assertTrue(metrics.contains("# TYPE tandem_cluster_members gauge"), metrics);
  }

  @Test
  @Order(Integer.MAX_VALUE) // last: it removes a worker from the cluster
  void drain_movesTheJobOffANode_withoutChangingItsFinalWeights() throws Exception {
    JobSpec spec = JobSpec.newBuilder().setJobId("drained").setBackend("cpu").setModel("gpt-tiny").setDataset("corpus")
        .setOptimizer("adamw").setSchedule("1f1b").setDevices(2).setMicrobatches(4).setMicrobatchSize(1).setSteps(30)
        .setSeed(3).setLearningRate(0.003).setClipNorm(1.0).setStepTimeoutS(60).build();
    HttpResponse<String> r = send("POST", "/jobs", TOKEN, JobSpecJson.toJson(spec.toBuilder().setMinNodes(2)
        .setCheckpointDir(checkpoints.resolve("drained").toString()).build()).toString());
    assertEquals(201, r.statusCode(), r.body());
    JsonNode running = poll("/jobs/drained", j -> j.get("step").asLong() >= 2 || ended(j), Duration.ofSeconds(120));
    String victim = workers.get(1).address().toString();
    assertTrue(running.get("plan").get("deviceNodes").toString().contains(victim), running.toString());

    r = send("POST", "/nodes/" + java.net.URLEncoder.encode(victim, java.nio.charset.StandardCharsets.UTF_8)
        + "/drain", TOKEN, null);
    assertEquals(202, r.statusCode(), r.body());
    JsonNode job = poll("/jobs/drained", AdminClusterTest::ended, Duration.ofSeconds(150));

    assertEquals("SUCCEEDED", job.get("status").asText(), job.toString());
    assertFalse(job.get("plan").get("deviceNodes").toString().contains(victim), job.toString());
    assertTrue(job.get("recoveries").asInt() >= 1, job.toString());
    Schedule schedule = JobFactory.schedule(spec);
    JobEvent ref = LocalRuntime.run(new JobConfig("reference", schedule, spec.getSteps(), spec.getClipNorm(),
        Duration.ofSeconds(60)), JobFactory.provider(spec, schedule), e -> { });
    assertEquals(assertInstanceOf(JobEvent.JobSucceeded.class, ref).weightsSha256(),
        job.get("weightsSha256").asText(), "drained run vs an undisturbed one");
    JsonNode cluster = poll("/cluster", c -> !c.toString().contains(victim), Duration.ofSeconds(30));
    assertFalse(cluster.toString().contains(victim), "the drained node left: " + cluster);
  }
}
