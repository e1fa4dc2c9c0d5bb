package io.tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;

/**
 * Follows a submitted job through the admin API ({@code GET /jobs/{id}}) until it ends: shows
 * its progress and events, and ends with the final line on success or one line saying how it
 * ended otherwise.
 */
final class JobFollower {
  /** Exit code when the job ends FAILED or CANCELLED. */
  static final int JOB_ENDED_BADLY = 1;
  /** Exit code when {@code --timeout} passes first (as coreutils' timeout). */
  static final int TIMED_OUT = 124;

  private final AdminClient client;
  private final PrintWriter out;
  private final PrintWriter err;
  private final long pollMs;

  JobFollower(AdminClient client, PrintWriter out, PrintWriter err, long pollMs) {
    this.client = client;
    this.out = out;
    this.err = err;
    this.pollMs = pollMs;
  }

  /**
   * Polls job {@code id} of {@code steps} steps until it ends or {@code timeout} (null: none)
   * passes; returns the exit code: 0 for SUCCEEDED, {@link #JOB_ENDED_BADLY} for FAILED or
   * CANCELLED, {@link #TIMED_OUT} when the timeout passed (the job is left running).
   */
  int follow(String id, long steps, Duration timeout) throws InterruptedException {
    long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
    ProgressBar bar = new ProgressBar(err, steps, System.console() != null);
    int shownEvents = 0;
    long shownStep = 0;
    String state = "PENDING";
    while (System.nanoTime() < deadline) {
      JsonNode status = client.call("GET", "/jobs/" + id, null, 200, "--admin");
      JsonNode events = status.path("events");
      for (int i = shownEvents; i < events.size(); i++) {
        bar.note("tandem: " + events.get(i).path("kind").asText() + ": " + events.get(i).path("message").asText());
      }
      shownEvents = Math.max(shownEvents, events.size());
      state = status.path("status").asText();
      long step = status.path("step").asLong();
      if (step != shownStep && status.has("loss") && !state.equals("SUCCEEDED")) {
        bar.update(step, String.format(Locale.ROOT, "loss %.4f%s", status.get("loss").asDouble(),
            status.has("stepMillis") ? String.format(Locale.ROOT, " step %.0f ms", status.get("stepMillis").asDouble()) : ""));
        shownStep = step;
      }
      switch (state) {
        case "SUCCEEDED" -> {
          bar.update(steps, "done");
          out.printf(Locale.ROOT, "final step=%d loss=%.6f weights-sha256=%s%n", status.path("steps").asLong(),
              status.path("loss").asDouble(), status.path("weightsSha256").asText());
          out.flush();
          return 0;
        }
        case "FAILED", "CANCELLED" -> {
          bar.abort();
          String why = status.path("error").asText();
          err.printf(Locale.ROOT, "tandem: job %s ended %s after %d step(s)%s%n", id, state, step,
              why.isEmpty() ? "" : ": " + why);
          err.flush();
          return JOB_ENDED_BADLY;
        }
        default -> Thread.sleep(Math.max(1, Math.min(pollMs, (deadline - System.nanoTime()) / 1_000_000 + 1)));
      }
    }
    bar.abort();
    err.printf(Locale.ROOT, "tandem: --timeout %s passed; job %s is still %s (it keeps running: tandem admin ... cancel %s)%n",
        DurationConverter.format(timeout), id, state, id);
    err.flush();
    return TIMED_OUT;
  }
}
