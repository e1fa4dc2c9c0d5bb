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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard at {@code /ui/} and the JSON behind it ({@code GET /jobs/{id}/timeline}), over
 * real HTTP on a one-member cluster, and the page itself in headless Chromium when one is installed.
 */
@Timeout(180)
class DashboardTest {
  static final String TOKEN = "dash-token-1";
  static ClusterNode node;
  static AdminServer server;
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    node = ClusterNode.start("127.0.0.1", 0, List.of(), List.of("coordinator", "worker"), 2);
    server = AdminServer.start(node, "127.0.0.1", 0, TOKEN, List.of());
    HttpResponse<String> r = send("/jobs", TOKEN, "{\"jobId\": \"zb\", \"backend\": \"sim\", \"opMs\": 2,"
        + " \"schedule\": \"zb-h1\", \"devices\": 2, \"microbatches\": 4, \"steps\": 3, \"minNodes\": 1}");
    assertEquals(201, r.statusCode(), r.body());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    String status = "";
    while (!status.equals("SUCCEEDED") && !status.equals("FAILED") && System.nanoTime() < deadline) {
      Thread.sleep(200);
      status = JSON.readTree(send("/jobs/zb", TOKEN, null).body()).get("status").asText();
    }
    assertEquals("SUCCEEDED", status);
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

  static HttpResponse<String> send(String path, String token, String body) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path)).timeout(Duration.ofSeconds(20));
    b = body == null ? b.GET() : b.POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void timeline_hasOneEntryPerExecutedOp_nextToTheSimulatorsOwn() throws Exception {
    HttpResponse<String> r = send("/jobs/zb/timeline", TOKEN, null);
    assertEquals(200, r.statusCode(), r.body());
    JsonNode t = JSON.readTree(r.body());
    assertEquals(2, t.get("devices").size(), r.body());
    int ops = 0;
    for (JsonNode d : t.get("devices")) {
      for (JsonNode op : d.get("ops")) {
        assertTrue(op.get("end").asDouble() >= op.get("start").asDouble() && op.get("start").asDouble() >= 0, op.toString());
        assertTrue(List.of("F", "B", "W").contains(op.get("op").asText()), op.toString());
        ops++;
      }
    }
    assertEquals(24, ops, "zb-h1, 2 devices, 4 microbatches: F, B and W of 4 microbatches on 2 stages");
    assertEquals(2, t.get("step").asInt());
    JsonNode sim = t.get("simulated");
    assertEquals("zb-h1", sim.get("schedule").asText());
    assertEquals(24, sim.get("devices").get(0).get("ops").size() + sim.get("devices").get(1).get("ops").size());
    assertEquals(2, sim.get("peakActivation").size());
    assertEquals(401, send("/jobs/zb/timeline", null, null).statusCode());
    assertEquals(404, send("/jobs/none/timeline", TOKEN, null).statusCode());

    JsonNode job = JSON.readTree(send("/jobs/zb", TOKEN, null).body());
    assertEquals(3, job.get("losses").size(), job.toString());
    assertEquals(2, job.get("peakActivationUnits").size(), job.toString());
  }

  @Test
  void theDashboardShipsInTheJar_withoutAToken() throws Exception {
    HttpResponse<String> page = send("/ui/", null, null);
    assertEquals(200, page.statusCode());
    assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"), page.headers().toString());
    assertTrue(page.body().contains("/ui/app.js"), page.body());
    assertEquals(200, send("/ui/app.js", null, null).statusCode());
    assertEquals(200, send("/ui/style.css", null, null).statusCode());
    assertTrue(send("/ui/reference.conf", null, null).statusCode() >= 400, "only the dashboard's own files are served");
    assertTrue(!page.body().contains("http://") && !page.body().contains("https://"), "no CDN: " + page.body());
  }

  /** A headless Chromium on this machine, if any. */
  static Optional<String> chromium() {
    for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
      for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
        if (Files.isExecutable(Path.of(dir, name))) {
          return Optional.of(Path.of(dir, name).toString());
        }
      }
    }
    return Optional.empty();
  }

  @Test
  void thePage_drawsMembersJobsLossAndBothTimelines_inAHeadlessBrowser(@TempDir Path profile) throws Exception {
    Optional<String> browser = chromium();
    if (browser.isEmpty()) {
      System.err.println("DashboardTest: SKIPPED the browser check: no chromium on PATH (apt-get install chromium)");
    }
    Assumptions.assumeTrue(browser.isPresent(), "no headless Chromium installed (apt-get install chromium)");
    Process p = new ProcessBuilder(browser.get(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + profile, "--virtual-time-budget=8000", "--run-all-compositor-stages-before-draw",
        "--dump-dom", server.url() + "/ui/#token=" + TOKEN).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String dom = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(90, TimeUnit.SECONDS), "chromium did not finish");
    assertTrue(dom.contains("class=\"member\""), dom);
    assertTrue(dom.contains("data-id=\"zb\""), dom);
    assertTrue(Pattern.compile("id=\"loss-line\" points=\"[0-9.]+,[0-9.]+ ").matcher(dom).find(), dom);
    assertEquals(48, count(dom, "class=\"op op-"), "24 measured + 24 simulated ops drawn:\n" + dom);
    assertEquals(2, count(dom, "class=\"device\""), dom);
  }

  private static int count(String s, String what) {
    Matcher m = Pattern.compile(Pattern.quote(what)).matcher(s);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }
}
