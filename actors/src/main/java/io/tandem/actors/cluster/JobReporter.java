package io.tandem.actors.cluster;

import io.tandem.actors.JobEvent;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * A job's public status: every {@link JobEvent} goes to its submitter through here, and
 * {@link JobEvent.Progress} events (kinds other tools read: {@code failure-detected},
 * {@code downed}, {@code re-planned}, {@code restored}, ...) are also logged. Keeps the job's
 * last completed step and times recovery stages from the last detection ({@link #since}).
 */
final class JobReporter {
  private final String jobId;
  private final Consumer<JobEvent> submitter;
  private final Logger log;
  private final LongSupplier nanoClock;
  private long detectedNanos;
  private long lastStep = -1;
  private boolean awaitingFirstStep;

  JobReporter(String jobId, Consumer<JobEvent> submitter, Logger log, LongSupplier nanoClock) {
    this.jobId = jobId;
    this.submitter = submitter;
    this.log = log;
    this.nanoClock = nanoClock;
  }

  /** Tells the submitter (and the log) of a stage of the job. */
  void emit(String kind, String message) {
    log.info("job {}: {}", jobId, message);
    submitter.accept(new JobEvent.Progress(kind, message));
  }

  private long restoredStep = -1;

  /** Passes {@code event} on to the submitter as it is. */
  void forward(JobEvent event) {
    submitter.accept(event);
  }

  /** A step completed: the submitter hears it, and the first one after a restore is also reported as {@code resumed}. */
  void stepCompleted(JobEvent.StepCompleted s) {
    lastStep = s.step();
    forward(s);
    if (awaitingFirstStep) {
      awaitingFirstStep = false;
      emit("resumed", "step " + (s.step() + 1) + " done, the first after " + (restoredStep < 0
          ? "restarting from step 0" : "restoring step " + restoredStep) + since());
    }
  }

  /** The step in flight: the one after the last completed (0 before any). */
  long nextStep() {
    return lastStep + 1;
  }

  /**
   * A new attempt's workers are ready ({@code restored} event) from checkpoint {@code step} (-1:
   * none, restarting from step 0); its first completed step is reported as resumed.
   */
  void restored(String message, long step) {
    emit("restored", message + since());
    restoredStep = step;
    awaitingFirstStep = true;
  }

  /** A change to recover from was detected now. */
  void detected() {
    detectedNanos = nanoClock.getAsLong();
  }

  /** {@code " (+N ms since detection)"}, or empty before any detection. */
  String since() {
    return detectedNanos == 0 ? "" : String.format(Locale.ROOT, " (+%.0f ms since detection)",
        (nanoClock.getAsLong() - detectedNanos) / 1e6);
  }
}
