package io.tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tandem logs JOB}: a job's events (failures, re-plans, checkpoints) and its step
 * progress, followed until the job ends. Exit 0 when it succeeded, 1 when it failed or was
 * cancelled, 2 for a user mistake (unknown job, no admin API).
 */
@Command(name = "logs", mixinStandardHelpOptions = true,
    description = "Print a job's events and progress, and follow them until the job ends.")
public final class LogsCommand implements Callable<Integer> {
  private static final Set<String> FINAL = Set.of("SUCCEEDED", "FAILED", "CANCELLED");

  @Parameters(paramLabel = "JOB", description = "job id")
  String id;

  @CommandLine.Mixin AdminConnection admin;

  @Option(names = "--no-follow", description = "print what happened so far and exit")
  boolean noFollow;

  @Option(names = "--interval", defaultValue = "1s", converter = DurationConverter.class,
      description = "how often to poll, e.g. 500ms or 2s (default: ${DEFAULT-VALUE})")
  Duration interval;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    AdminClient client = admin.client(Duration.ofSeconds(60));
    String path = "/jobs/" + URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
    PrintWriter out = spec.commandLine().getOut();
    int printed = 0;
    long lastStep = -1;
    while (true) {
      JsonNode job = client.call("GET", path, null, 200, "--url");
      JsonNode events = job.path("events");
      for (; printed < events.size(); printed++) {
        JsonNode e = events.get(printed);
        out.printf(Locale.ROOT, "%s %s: %s%n", Instant.ofEpochMilli(e.path("timeMs").asLong()),
            e.path("kind").asText(), e.path("message").asText());
      }
      long step = job.path("step").asLong();
      String status = job.path("status").asText();
      if (step != lastStep && job.has("loss")) {
        out.printf(Locale.ROOT, "step %d/%d loss %.4f%s%n", step, job.path("steps").asLong(), job.get("loss").asDouble(),
            job.has("tokensPerSecond") ? String.format(Locale.ROOT, " tok/s %.0f", job.get("tokensPerSecond").asDouble()) : "");
        lastStep = step;
      }
      out.flush();
      if (FINAL.contains(status)) {
        out.println("job " + id + ": " + status + (job.has("weightsSha256") ? " weights-sha256=" + job.get("weightsSha256").asText()
            : job.has("error") ? " (" + job.get("error").asText() + ")" : ""));
        out.flush();
        return status.equals("SUCCEEDED") ? 0 : 1;
      }
      if (noFollow) {
        out.println("job " + id + ": " + status);
        out.flush();
        return 0;
      }
      Thread.sleep(interval.toMillis());
    }
  }
}
