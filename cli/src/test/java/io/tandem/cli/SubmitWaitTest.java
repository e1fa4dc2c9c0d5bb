package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code tandem submit --wait [--timeout]} against a tiny fake admin API that plays job states. */
@Timeout(60)
class SubmitWaitTest {
  private HttpServer server;

  /** Serves POST /jobs (id j1) and GET /jobs/j1 answering {@code states} in turn, the last one forever. */
  private String serve(String... states) throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    AtomicInteger polls = new AtomicInteger();
    server.createContext("/jobs", exchange -> {
      if (exchange.getRequestMethod().equals("POST")) {
        reply(exchange, 201, "{\"id\":\"j1\"}");
      } else {
        String state = states[Math.min(polls.getAndIncrement(), states.length - 1)];
        reply(exchange, 200, state);
      }
    });
    server.start();
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private static void reply(HttpExchange exchange, int code, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(code, b.length);
    exchange.getResponseBody().write(b);
    exchange.close();
  }

  private static String job(String status, int step, String extra) {
    return "{\"id\":\"j1\",\"status\":\"" + status + "\",\"step\":" + step + ",\"steps\":3" + extra + ",\"events\":[]}";
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(0);
    }
  }

  private static String[] submit(String url, String... extra) {
    List<String> args = new ArrayList<>(List.of("submit", "--admin", url, "--token", "t", "--steps", "3",
        "--poll-ms", "20", "--wait"));
    args.addAll(List.of(extra));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = TandemCli.run(args.toArray(new String[0]), new PrintWriter(out), new PrintWriter(err));
    return new String[] {Integer.toString(code), out.toString(), err.toString()};
  }

  private static String[] submitNoWait(String url) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = TandemCli.run(new String[] {"submit", "--admin", url, "--token", "t", "--steps", "3", "--devices", "4",
        "--poll-ms", "20"}, new PrintWriter(out), new PrintWriter(err));
    return new String[] {Integer.toString(code), out.toString(), err.toString()};
  }

  @Test
  void withoutWait_aRefusedJobExitsNonZeroWithTheReason() throws IOException {
    String reason = "refused: job j1 needs 4 worker nodes (one per device) and the cluster has 2 up, 2 declared";
    String url = serve(job("PENDING", 0, ""), job("FAILED", 0, ",\"error\":\"" + reason + "\""));
    String[] r = submitNoWait(url);
    assertEquals(Integer.toString(JobFollower.JOB_ENDED_BADLY), r[0], r[2]);
    assertTrue(r[2].contains("tandem: job j1 FAILED: " + reason), r[2]);
    assertEquals("", r[1]);
  }

  @Test
  void withoutWait_aWaitingJobSaysForWhatAndPrintsItsId() throws IOException {
    String waiting = "job j1 waiting for 4 devices, have 2 (worker nodes free; 2 up, 4 declared)";
    String url = serve(job("PENDING", 0, ",\"waiting\":\"" + waiting + "\""));
    String[] r = submitNoWait(url);
    assertEquals("0", r[0], r[2]);
    assertTrue(r[2].contains("tandem: " + waiting), r[2]);
    assertEquals("j1", r[1].trim());
  }

  @Test
  void succeeded_printsTheFinalLineAndExitsZero() throws IOException {
    String url = serve(job("RUNNING", 1, ",\"loss\":5.0"),
        job("SUCCEEDED", 3, ",\"loss\":4.5,\"weightsSha256\":\"abc\""));
    String[] r = submit(url);
    assertEquals("0", r[0], r[2]);
    assertEquals("final step=3 loss=4.500000 weights-sha256=abc", r[1].trim());
  }

  @Test
  void cancelled_exitsNonZeroSayingCancelled() throws IOException {
    String url = serve(job("RUNNING", 1, ",\"loss\":5.0"), job("CANCELLED", 1, ",\"error\":\"cancelled by admin\""));
    String[] r = submit(url);
    assertEquals(Integer.toString(JobFollower.JOB_ENDED_BADLY), r[0], r[2]);
    assertTrue(r[2].contains("tandem: job j1 ended CANCELLED after 1 step(s): cancelled by admin"), r[2]);
    assertFalse(r[1].contains("final"), r[1]);
  }

  @Test
  void failed_exitsNonZeroSayingFailed() throws IOException {
    String url = serve(job("FAILED", 0, ",\"error\":\"worker lost\""));
    String[] r = submit(url);
    assertEquals(Integer.toString(JobFollower.JOB_ENDED_BADLY), r[0], r[2]);
    assertTrue(r[2].contains("ended FAILED after 0 step(s): worker lost"), r[2]);
  }

  @Test
  void timeout_exitsNonZeroNamingTheTimeout() throws IOException {
    String url = serve(job("RUNNING", 1, ",\"loss\":5.0"));
    long t0 = System.nanoTime();
    String[] r = submit(url, "--timeout", "300ms");
    assertEquals(Integer.toString(JobFollower.TIMED_OUT), r[0], r[2]);
    assertTrue(r[2].contains("tandem: --timeout 300ms passed; job j1 is still RUNNING"), r[2]);
    assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(10).toNanos());
  }

  @Test
  void badTimeout_isAUserError() {
    String[] r = submit("http://127.0.0.1:1", "--timeout", "ten minutes");
    assertEquals(Integer.toString(TandemCli.USER_ERROR), r[0], r[2]);
    assertTrue(r[2].startsWith("tandem: ") && r[2].contains("not a duration"), r[2]);
  }

  @Test
  void badOption_isRefusedBeforeCallingTheApi() {
    String[] r = submit("http://127.0.0.1:1", "--memory-limit", "-3");
    assertEquals(Integer.toString(TandemCli.USER_ERROR), r[0], r[2]);
    assertTrue(r[2].startsWith("tandem: memoryLimit: ") && !r[2].contains("cannot reach"), r[2]);
  }

  @Test
  void durations_readUnits() {
    assertEquals(Duration.ofSeconds(90), DurationConverter.parse("90s"));
    assertEquals(Duration.ofMinutes(10), DurationConverter.parse("10m"));
    assertEquals("10m", DurationConverter.format(Duration.ofMinutes(10)));
    assertEquals("90s", DurationConverter.format(Duration.ofSeconds(90)));
  }
}
