package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code tandem logs} and {@code tandem jobs} against a stand-in admin API. */
class LogsCommandTest {
  private HttpServer server;
  private final AtomicInteger polls = new AtomicInteger();
  private String base;

  private static final List<String> STATES = List.of(
      "{\"id\":\"j1\",\"status\":\"RUNNING\",\"step\":1,\"steps\":3,\"loss\":5.5,"
          + "\"events\":[{\"timeMs\":0,\"kind\":\"started\",\"message\":\"on 2 device(s)\"}]}",
      "{\"id\":\"j1\",\"status\":\"RUNNING\",\"step\":2,\"steps\":3,\"loss\":5.0,"
          + "\"events\":[{\"timeMs\":0,\"kind\":\"started\",\"message\":\"on 2 device(s)\"},"
          + "{\"timeMs\":5,\"kind\":\"re-planned\",\"message\":\"re-planned to schedule 1f1b on 1 device(s)\"}]}",
      "{\"id\":\"j1\",\"status\":\"SUCCEEDED\",\"step\":3,\"steps\":3,\"loss\":4.5,\"weightsSha256\":\"abc\","
          + "\"events\":[{\"timeMs\":0,\"kind\":\"started\",\"message\":\"on 2 device(s)\"},"
          + "{\"timeMs\":5,\"kind\":\"re-planned\",\"message\":\"re-planned to schedule 1f1b on 1 device(s)\"}]}");

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/jobs", ex -> {
      String path = ex.getRequestURI().getPath();
      String body;
      int code = 200;
      if (path.equals("/jobs")) {
        body = "[" + STATES.get(0) + "]";
      } else if (path.equals("/jobs/j1")) {
        body = STATES.get(Math.min(polls.getAndIncrement(), STATES.size() - 1));
      } else {
        code = 404;
        body = "{\"error\":\"no job " + path.substring(6) + "\"}";
      }
      byte[] b = body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(code, b.length);
      ex.getResponseBody().write(b);
      ex.close();
    });
    server.start();
    base = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private String[] run(int expected, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = TandemCli.run(args, new PrintWriter(out), new PrintWriter(err));
    assertEquals(expected, code, out + "\n" + err);
    return new String[] {out.toString(), err.toString()};
  }

  @Test
  void logs_followsEventsAndSteps_untilTheJobEnds() {
    String out = run(0, "logs", "j1", "--url", base, "--token", "t", "--interval", "10ms")[0];
    assertEquals(1, out.lines().filter(l -> l.contains("re-planned:")).count(), out);
    assertTrue(out.contains("step 1/3 loss 5.5000") && out.contains("step 3/3 loss 4.5000"), out);
    assertTrue(out.strip().endsWith("job j1: SUCCEEDED weights-sha256=abc"), out);
  }

  @Test
  void logs_ofAnUnknownJob_isOneLine_andJobsListsThem() {
    String err = run(TandemCli.USER_ERROR, "logs", "nope", "--url", base, "--token", "t")[1];
    assertEquals(1, err.strip().lines().count(), err);
    String out = run(0, "jobs", "--url", base, "--token", "t")[0];
    assertTrue(out.lines().anyMatch(l -> l.startsWith("j1") && l.contains("RUNNING")), out);
  }
}
