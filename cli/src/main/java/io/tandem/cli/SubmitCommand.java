package io.tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tandem.actors.admin.JobSpecJson;
import io.tandem.proto.JobSpec;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tandem submit}: sends a job to a running cluster's admin API and, with {@code --wait},
 * follows it (progress, failures and recoveries as they happen) to the same
 * {@code final step=S loss=X weights-sha256=HEX} line as {@code train}. A job that ends FAILED or
 * CANCELLED exits 1, a {@code --timeout} that passes first exits 124.
 */
@Command(name = "submit", mixinStandardHelpOptions = true,
    description = "Submit a training job to a running cluster (its admin API) and optionally wait for it.")
public final class SubmitCommand implements Callable<Integer> {

  @Mixin JobOptions job;

  @Option(names = "--admin", required = true, description = "admin API URL of the coordinator, e.g. http://127.0.0.1:8558")
  String admin;

  @Option(names = "--token", description = "admin API bearer token (default: --token-file, then $TANDEM_ADMIN_TOKEN)")
  String token;

  @Option(names = "--token-file", description = "file holding the admin API bearer token (e.g. DIR/admin.token)")
  Path tokenFile;

  @Option(names = "--min-nodes", defaultValue = "0", description = "worker nodes to wait for (default: --devices)")
  int minNodes;

  @Option(names = "--wait", description = "follow the job to its end and print the final line")
  boolean await;

  @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "with --wait: give up waiting after DURATION (e.g. 90s, 10m; exit code 124, the job keeps running)")
  Duration timeout;

  @Option(names = "--poll-ms", defaultValue = "500", hidden = true, description = "status poll interval")
  long pollMs;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  /** How long {@code submit} without {@code --wait} looks for the job master's first word on the job. */
  private static final Duration FIRST_WORD = Duration.ofSeconds(3);

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (timeout != null && !await) {
      throw new UserException("--timeout needs --wait");
    }
    AdminClient client = new AdminClient(admin, AdminClient.token(token, tokenFile),
        Duration.ofSeconds(30));
    String base = client.base();
    JobSpec given = job.resume == null ? job.jobSpec("submit")
        : Resume.spec(job.resume, job.jobSpec("submit"), spec.commandLine().getParseResult(), true);
    JobSpec js = given.toBuilder().setMinNodes(Math.max(0, minNodes)).build();
    ObjectNode body = JobSpecJson.toJson(js);
    JsonNode created = client.call("POST", "/jobs", body.toString(), 201, "--admin");
    String id = created.get("id").asText();
    err.printf(Locale.ROOT, "tandem: submitted job %s to %s (%s on %d %s device(s)%s, schedule %s, %d steps)%n", id,
        base, js.getModel(), js.getDevices(), js.getBackend(), TrainingRun.replicas(js), js.getSchedule(), js.getSteps());
    err.flush();
    if (!await) {
      JsonNode first = firstWord(client, id);
      String state = first.path("status").asText();
      if (state.equals("FAILED") || state.equals("CANCELLED")) {
        err.printf(Locale.ROOT, "tandem: job %s %s: %s%n", id, state, first.path("error").asText());
        err.flush();
        return JobFollower.JOB_ENDED_BADLY;
      }
      if (first.has("waiting")) {
        err.printf(Locale.ROOT, "tandem: %s%n", first.get("waiting").asText());
        err.flush();
      }
      out.println(id);
      out.flush();
      return 0;
    }
    return new JobFollower(client, out, err, pollMs).follow(id, js.getSteps(), timeout);
  }

  /**
   * The job's status once the job master has answered (refused, waiting, or started), or after
   * {@link #FIRST_WORD}: what {@code submit} without {@code --wait} reports besides the id.
   */
  private JsonNode firstWord(AdminClient client, String id) throws InterruptedException {
    long deadline = System.nanoTime() + FIRST_WORD.toNanos();
    JsonNode status = client.call("GET", "/jobs/" + id, null, 200, "--admin");
    while (status.path("status").asText().equals("PENDING") && !status.has("waiting")
        && System.nanoTime() < deadline) {
      Thread.sleep(Math.max(1, Math.min(pollMs, 200)));
      status = client.call("GET", "/jobs/" + id, null, 200, "--admin");
    }
    return status;
  }

}
