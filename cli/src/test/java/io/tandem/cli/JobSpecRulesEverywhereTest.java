package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tandem.actors.InvalidJobSpecException;
import io.tandem.actors.JobEvent;
import io.tandem.actors.admin.AdminServer;
import io.tandem.actors.admin.JobSpecJson;
import io.tandem.actors.cluster.ClusterNode;
import io.tandem.api.JobSpec;
import io.tandem.model.Presets;
import io.tandem.schedule.ScheduleRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One table of bad job specs through all four entry points: {@code tandem train} (exit 2,
 * {@code tandem: MESSAGE}), the Java API's builder (the exception's message), the admin HTTP API
 * (the 400 body's {@code error}, {@code field} and {@code errors}) and the coordinator (the job's
 * failure when the spec reaches it directly). Every row must give the same message everywhere.
 */
@Timeout(300)
class JobSpecRulesEverywhereTest {
  static final String TOKEN = "rules-token";
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final AtomicInteger IDS = new AtomicInteger();
  static ClusterNode node;
  static AdminServer server;

  /** A valid spec, as JSON keys; every row changes some of them. */
  static Map<String, Object> base() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("backend", "cpu");
    m.put("model", "gpt-tiny");
    m.put("dataset", "corpus");
    m.put("optimizer", "adamw");
    m.put("schedule", "1f1b");
    m.put("devices", 2);
    m.put("microbatches", 4);
    m.put("microbatchSize", 1);
    m.put("steps", 1);
    m.put("learningRate", 0.003);
    m.put("clipNorm", 1.0);
    m.put("memoryLimit", 0.0);
    return m;
  }

  static Stream<Arguments> badSpecs() {
    return Stream.of(
        row("devices: must be >= 1, got 0", "devices", 0),
        row("microbatches: interleaved-1f1b needs a multiple of devices (2), got 3", "schedule", "interleaved-1f1b",
            "microbatches", 3),
        row("microbatches: must be >= 1, got 0", "microbatches", 0),
        row("microbatchSize: must be >= 1, got -1", "microbatchSize", -1),
        row("steps: must be >= 1, got 0", "steps", 0),
        row("learningRate: must be a finite number > 0, got -0.1", "learningRate", -0.1),
        row("memoryLimit: must be >= 0 (0 = none), got -1.0", "memoryLimit", -1.0),
        row("clipNorm: must be >= 0 (0 = off), got -1.0", "clipNorm", -1.0),
        row("model: gpt-huge: unknown model; use a preset (" + String.join(", ", Presets.names()) + ") or a shape"
            + " gpt:layers=L,hidden=H,heads=A,seq=S,vocab=V or mlp:layers=L,hidden=H,seq=S,vocab=V", "model", "gpt-huge"),
        row("model: gpt:layers=2,hidden=30,heads=4,seq=16,vocab=256: hidden (30) must be divisible by heads (4)",
            "model", "gpt:layers=2,hidden=30,heads=4,seq=16,vocab=256"),
        row("model: gpt:layers=2,hidden=32,heads=2,seq=16,vocab=100: vocab (100) must be >= 256 (the datasets are"
            + " byte-level)", "model", "gpt:layers=2,hidden=32,heads=2,seq=16,vocab=100"),
        row("schedule: unknown schedule 'no-such'; known: " + String.join(", ", ScheduleRegistry.names())
            + ", planner", "schedule", "no-such"),
        row("optimizer: must be one of adamw, sgd, got 'lion'", "optimizer", "lion"),
        row("backend: must be one of cpu, cuda, sim, got 'tpu'", "backend", "tpu"),
        row("dataset: unknown dataset 'imagenet'; known: corpus, addition", "dataset", "imagenet"),
        row("devices: gpt-tiny has 9 layers, fewer than the 16 virtual stages of 1f1b on 16 devices",
            "devices", 16, "microbatches", 16),
        row("keepCheckpoints: must be >= 0 (0 = the default, 3), got -1", "keepCheckpoints", -1),
        row("recompute: must be one of none, all, planner, got 'some'", "recompute", "some"),
        row("recompute: 'all' needs a backend that runs layers (cpu, cuda), got sim", "backend", "sim",
            "recompute", "all"),
        row("devices: 3 is not a multiple of dataParallel 2 (devices = dataParallel x pipeline depth)",
            "devices", 3, "dataParallel", 2),
        row("microbatches: 5 is not a multiple of dataParallel 2 (each replica takes microbatches / dataParallel)",
            "microbatches", 5, "dataParallel", 2),
        row("dataParallel: must be >= 1, got -1", "dataParallel", -1));
  }

  static Arguments row(String message, Object... changes) {
    Map<String, Object> spec = base();
    for (int i = 0; i < changes.length; i += 2) {
      spec.put((String) changes[i], changes[i + 1]);
    }
    return Arguments.of(message, spec);
  }

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

  @ParameterizedTest(name = "{0}")
  @MethodSource("badSpecs")
  void sameMessage_fromCli_javaApi_httpApi_andCoordinator(String message, Map<String, Object> spec) throws Exception {
    assertEquals("tandem: " + message, cli(spec), "tandem train");
    assertEquals(message, assertThrows(InvalidJobSpecException.class, () -> api(spec).build()).getMessage(),
        "Java API");
    HttpResponse<String> r = post(spec);
    assertEquals(400, r.statusCode(), r.body());
    JsonNode body = JSON.readTree(r.body());
    assertEquals(message, body.get("error").asText(), "admin API");
    assertEquals(message, body.get("field").asText() + ": " + body.get("reason").asText(), r.body());
    assertEquals(body.get("field"), body.get("errors").get(0).get("field"), r.body());
    assertEquals(message, coordinator(spec), "coordinator");
  }

  @Test
  void httpApi_listsEveryProblem() throws Exception {
    Map<String, Object> spec = base();
    spec.put("devices", 0);
    spec.put("steps", 0);
    spec.put("optimizer", "lion");
    JsonNode body = JSON.readTree(post(spec).body());
    List<String> fields = new ArrayList<>();
    body.get("errors").forEach(e -> fields.add(e.get("field").asText()));
    assertEquals(List.of("devices", "steps", "optimizer"), fields, body.toString());
    assertEquals("devices: must be >= 1, got 0", body.get("error").asText());
  }

  @Test
  void presetAndShapeStrings_areTheSameModelEverywhere() {
    JobSpec spec = JobSpec.builder().model("gpt:layers=2,hidden=32,heads=2,seq=16,vocab=256").devices(2)
        .microbatches(2).steps(1).build();
    assertEquals(2L * 4 * 16, spec.tokensPerStep());
  }

  private static String cli(Map<String, Object> spec) {
    List<String> args = new ArrayList<>(List.of("train", "--job-id", "rules-cli-" + IDS.incrementAndGet()));
    spec.forEach((k, v) -> {
      args.add(switch (k) {
        case "learningRate" -> "--lr";
        case "clipNorm" -> "--clip";
        default -> "--" + k.replaceAll("([A-Z])", "-$1").toLowerCase(java.util.Locale.ROOT);
      });
      args.add(String.valueOf(v));
    });
    StringWriter err = new StringWriter();
    int code = TandemCli.run(args.toArray(String[]::new), new PrintWriter(new StringWriter()), new PrintWriter(err));
    assertEquals(TandemCli.USER_ERROR, code, err.toString());
    return err.toString().strip();
  }

  private static JobSpec.Builder api(Map<String, Object> spec) {
    JobSpec.Builder b = JobSpec.builder();
    spec.forEach((k, v) -> {
      switch (k) {
        case "backend" -> b.backend((String) v);
        case "model" -> b.model((String) v);
        case "dataset" -> b.dataset((String) v);
        case "optimizer" -> b.optimizer((String) v);
        case "schedule" -> b.schedule((String) v);
        case "devices" -> b.devices((Integer) v);
        case "microbatches" -> b.microbatches((Integer) v);
        case "microbatchSize" -> b.microbatchSize((Integer) v);
        case "steps" -> b.steps((Integer) v);
        case "learningRate" -> b.learningRate((Double) v);
        case "clipNorm" -> b.clipNorm((Double) v);
        case "memoryLimit" -> { } // set after the schedule (schedule(..) resets it)
        case "keepCheckpoints" -> b.keepCheckpoints((Integer) v);
        case "recompute" -> b.recompute((String) v);
        case "dataParallel" -> b.dataParallel((Integer) v);
        default -> throw new IllegalArgumentException("no builder setter for " + k);
      }
    });
    double limit = (Double) spec.get("memoryLimit");
    if (limit != 0) {
      b.autoSchedule(limit);
    }
    return b;
  }

  private static HttpResponse<String> post(Map<String, Object> spec) throws Exception {
    ObjectNode body = JSON.valueToTree(spec);
    body.put("jobId", "rules-http-" + IDS.incrementAndGet());
    HttpRequest request = HttpRequest.newBuilder(URI.create(server.url() + "/jobs")).timeout(Duration.ofSeconds(20))
        .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
    return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static String coordinator(Map<String, Object> spec) {
    ObjectNode body = JSON.valueToTree(spec);
    body.put("jobId", "rules-coordinator-" + IDS.incrementAndGet());
    JobEvent end = node.run(JobSpecJson.parse(body.toString()), 1, Duration.ofSeconds(60), e -> { });
    return assertInstanceOf(JobEvent.JobFailed.class, end, end.toString()).message();
  }
}
