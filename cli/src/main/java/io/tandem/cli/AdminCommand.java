package io.tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tandem admin}: the coordinator's admin API from the command line. Tables by default,
 * the API's JSON with {@code --json}. HTTP errors end with one line naming the status and the
 * server's message (exit 2).
 */
@Command(name = "admin", mixinStandardHelpOptions = true,
    description = "Inspect and steer a running cluster through its admin API.",
    subcommandsRepeatable = false)
public final class AdminCommand implements Runnable {
  private static final ObjectMapper JSON = new ObjectMapper();

  @picocli.CommandLine.Mixin AdminConnection admin;

  @Option(names = "--json", description = "print the API's JSON instead of a table")
  boolean json;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Command(name = "cluster", description = "Members: address, roles, status, devices.")
  int cluster(@Option(names = "--json", description = "print JSON") boolean asJson) throws InterruptedException {
    JsonNode c = call("GET", "/cluster", 200);
    if (json || asJson) {
      return print(c);
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"ADDRESS", "ROLES", "STATUS", "REACHABLE", "DEVICES"});
    for (JsonNode m : c.get("members")) {
      List<String> roles = new ArrayList<>();
      m.get("roles").forEach(r -> roles.add(r.asText()));
      List<String> devices = new ArrayList<>();
      m.get("devices").forEach(d -> devices.add(d.get("kind").asText()));
      rows.add(new String[] {m.get("address").asText(), String.join(",", roles), m.get("status").asText(),
          m.get("reachable").asBoolean() ? "yes" : "NO", devices.isEmpty() ? "-" : devices.size() + " x " + devices.get(0)});
    }
    return table(rows);
  }

  @Command(name = "jobs", description = "Jobs submitted through the admin API.")
  int jobs(@Option(names = "--json", description = "print JSON") boolean asJson) throws InterruptedException {
    JsonNode list = call("GET", "/jobs", 200);
    if (json || asJson) {
      return print(list);
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"ID", "STATUS", "STEP", "LOSS", "TOK/S", "RECOVERIES", "NODES"});
    for (JsonNode j : list) {
      rows.add(new String[] {j.get("id").asText(), j.get("status").asText(),
          j.get("step").asLong() + "/" + j.get("steps").asLong(), number(j, "loss", "%.4f"),
          number(j, "tokensPerSecond", "%.0f"), j.path("recoveries").asText("0"), nodes(j)});
    }
    return table(rows);
  }

  /**
   * Where a job runs: its worker nodes as {@code host:port}, comma separated, in device order;
   * {@code waiting} while it waits for nodes, {@code -} when it has none.
   */
  static String nodes(JsonNode job) {
    java.util.LinkedHashSet<String> nodes = new java.util.LinkedHashSet<>();
    job.path("plan").path("deviceNodes").forEach(n -> {
      String a = n.asText();
      nodes.add(a.contains("@") ? a.substring(a.indexOf('@') + 1) : a);
    });
    if (job.has("waiting") && nodes.isEmpty()) {
      return "waiting";
    }
    return nodes.isEmpty() ? "-" : String.join(",", nodes);
  }

  @Command(name = "job", description = "One job: status, step, loss, tokens/s, plan, peak memory per device, events.")
  int job(@Parameters(paramLabel = "ID") String id,
      @Option(names = "--json", description = "print JSON") boolean asJson) throws InterruptedException {
    JsonNode j = call("GET", "/jobs/" + encode(id), 200);
    if (json || asJson) {
      return print(j);
    }
    PrintWriter out = spec.commandLine().getOut();
    out.printf(Locale.ROOT, "job         %s%nstatus      %s%nstep        %d/%d%nloss        %s%ntokens/s    %s%n"
            + "schedule    %s%nrecoveries  %s%n", j.get("id").asText(), j.get("status").asText(), j.get("step").asLong(),
        j.get("steps").asLong(), number(j, "loss", "%.6f"), number(j, "tokensPerSecond", "%.0f"),
        j.path("plan").path("schedule").asText("-"), j.path("recoveries").asText("0"));
    if (j.has("weightsSha256")) {
      out.println("weights     " + j.get("weightsSha256").asText());
    }
    if (j.has("error")) {
      out.println("message     " + j.get("error").asText());
    }
    if (j.has("waiting")) {
      out.println("waiting     " + j.get("waiting").asText());
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"DEVICE", "NODE", "PEAK ACT MB"});
    JsonNode nodes = j.path("plan").path("deviceNodes");
    JsonNode peaks = j.path("peakActivationBytes");
    for (int d = 0; d < Math.max(nodes.size(), peaks.size()); d++) {
      rows.add(new String[] {Integer.toString(d), nodes.path(d).asText("-"),
          peaks.has(d) ? String.format(Locale.ROOT, "%.1f", peaks.get(d).asLong() / 1048576.0) : "-"});
    }
    if (rows.size() > 1) {
      out.println();
      table(rows);
    }
    if (j.path("events").size() > 0) {
      out.println();
      j.get("events").forEach(e -> out.println(e.get("kind").asText() + ": " + e.get("message").asText()));
    }
    out.flush();
    return 0;
  }

  @Command(name = "cancel", description = "Cancel a job (the step in flight is dropped).")
  int cancel(@Parameters(paramLabel = "ID") String id,
      @Option(names = "--json", description = "print JSON") boolean asJson) throws InterruptedException {
    JsonNode r = call("POST", "/jobs/" + encode(id) + "/cancel", 202);
    return json || asJson ? print(r) : line("job " + id + ": " + r.get("status").asText());
  }

  @Command(name = "checkpoint", description = "Checkpoint a job at its next step boundary and wait for the commit.")
  int checkpoint(@Parameters(paramLabel = "ID") String id,
      @Option(names = "--json", description = "print JSON") boolean asJson) throws InterruptedException {
    JsonNode r = call("POST", "/jobs/" + encode(id) + "/checkpoint", 200);
    return json || asJson ? print(r) : line("job " + id + ": checkpoint step-" + r.get("step").asLong() + " committed at "
        + r.get("checkpoint").asText());
  }

  @Command(name = "drain", description = "Move the running job off a node at the next step boundary, then let the node leave.")
  int drain(@Parameters(paramLabel = "ADDRESS", description = "member address (pekko://tandem@host:port or host:port)")
      String address, @Option(names = "--json", description = "print JSON") boolean asJson) throws InterruptedException {
    JsonNode r = call("POST", "/nodes/" + encode(address) + "/drain", 202);
    return json || asJson ? print(r) : line("node " + r.get("node").asText() + ": " + r.get("status").asText());
  }

  @Override
  public void run() {
    throw new UserException("admin needs a command: cluster, jobs, job ID, cancel ID, checkpoint ID or drain ADDRESS");
  }

  private JsonNode call(String method, String path, int expected) throws InterruptedException {
    return admin.client(Duration.ofSeconds(60)).call(method, path, null, expected, "--url");
  }

  private int print(JsonNode node) {
    try {
      spec.commandLine().getOut().println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    spec.commandLine().getOut().flush();
    return 0;
  }

  private int line(String text) {
    spec.commandLine().getOut().println(text);
    spec.commandLine().getOut().flush();
    return 0;
  }

  /** Left-aligned columns, two spaces apart; the first row is the header. */
  private int table(List<String[]> rows) {
    int[] width = new int[rows.get(0).length];
    for (String[] r : rows) {
      for (int i = 0; i < r.length; i++) {
        width[i] = Math.max(width[i], r[i].length());
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    for (String[] r : rows) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < r.length; i++) {
        b.append(i == r.length - 1 ? r[i] : String.format(Locale.ROOT, "%-" + width[i] + "s  ", r[i]));
      }
      out.println(b.toString().stripTrailing());
    }
    out.flush();
    return 0;
  }

  private static String number(JsonNode j, String key, String format) {
    return j.has(key) ? String.format(Locale.ROOT, format, j.get(key).asDouble()) : "-";
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
