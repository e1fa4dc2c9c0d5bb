package io.tandem.actors.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Pekko Management on a member: the health endpoints Kubernetes probes. */
@Timeout(60)
class ManagementTest {

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void managementEnabled_servesAliveAndReadyOnceTheMemberIsUpWithDevices() throws Exception {
    int port = freePort();
    try (ClusterNode node = ClusterNode.start("127.0.0.1", 0, List.of(), List.of("worker"), 1,
        ConfigFactory.parseString("tandem.management.enabled = on\npekko.management.http.hostname = 127.0.0.1\n"
            + "pekko.management.http.port = " + port))) {
      assertEquals("http://127.0.0.1:" + port, node.managementUri());
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      assertEquals(200, get(http, port, "/health/alive"));
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      int ready;
      do {
        ready = get(http, port, "/health/ready");
      } while (ready != 200 && System.nanoTime() < deadline && sleep());
      assertEquals(200, ready);
    }
  }

  @Test
  void coordinatorWithoutWorkers_isAliveButNotReady() throws Exception {
    int port = freePort();
    try (ClusterNode node = ClusterNode.start("127.0.0.1", 0, List.of(), List.of("coordinator"), 0,
        ConfigFactory.parseString("tandem.management.enabled = on\npekko.management.http.hostname = 127.0.0.1\n"
            + "pekko.management.http.port = " + port))) {
      assertEquals("http://127.0.0.1:" + port, node.managementUri());
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      assertEquals(200, get(http, port, "/health/alive"));
      long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
      do {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
            + "/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(500, r.statusCode(), "ready with no worker node: " + r.body()); // Pekko's code for a failed check
        assertTrue(r.body().startsWith("Not Healthy"), r.body());
      } while (System.nanoTime() < until && sleep());
    }
  }

  @Test
  void managementOff_byDefault() {
    try (ClusterNode node = ClusterNode.start("127.0.0.1", 0, List.of(), List.of("worker"), 1)) {
      assertTrue(node.managementUri().isEmpty());
    }
  }

  private static int get(HttpClient http, int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private static boolean sleep() throws InterruptedException {
    Thread.sleep(200);
    return true;
  }
}
