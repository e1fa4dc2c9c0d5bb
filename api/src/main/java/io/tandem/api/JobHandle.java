package io.tandem.api;

import io.tandem.actors.JobEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A submitted job: its id, status, figures and end. Thread-safe. Listeners run one at a time,
 * in event order, on the client's event thread (not an actor thread); a listener added late
 * sees only later events.
 */
public final class JobHandle {
  private static final Logger LOG = LoggerFactory.getLogger(JobHandle.class);

  private final String id;
  private final JobSpec spec;
  private final JobControl control;
  private final CompletableFuture<JobResult> result = new CompletableFuture<>();
  private final List<Consumer<StepProgress>> stepListeners = new CopyOnWriteArrayList<>();
  private final List<Consumer<Recovery>> recoveryListeners = new CopyOnWriteArrayList<>();

  private JobStatus status = JobStatus.PENDING;
  private long stepsCompleted;
  private double loss = Double.NaN;
  private double stepMillis;
  private double tokensPerSecond;
  private String schedule = "";
  private List<String> deviceNodes = List.of();
  private long[] peakBytes = new long[0];
  private int recoveries;
  private String lastFailure = "";
  private final List<CompletableFuture<Long>> checkpointRequests = new ArrayList<>();

  /** What a handle asks of the runtime (cancel, checkpoint); the client implements it. */
  interface JobControl {
    void cancel(String jobId);

    void checkpoint(String jobId);
  }

  private static final java.util.regex.Pattern CHECKPOINT_STEP = java.util.regex.Pattern.compile("step-(\\d+)");

  JobHandle(String id, JobSpec spec, JobControl control) {
    this.id = id;
    this.spec = spec;
    this.control = control;
  }

  /** The job's id, unique in the cluster while it runs. */
  public String id() {
    return id;
  }

  /** The spec it was submitted with. */
  public JobSpec spec() {
    return spec;
  }

  /** Where the job stands now. */
  public synchronized JobStatus status() {
    return status;
  }

  /** The job's current figures. */
  public synchronized JobMetrics metrics() {
    List<Long> peaks = new ArrayList<>();
    for (long b : peakBytes) {
      peaks.add(b);
    }
    return new JobMetrics(status, stepsCompleted, spec.steps(), loss, stepMillis, tokensPerSecond, schedule,
        deviceNodes, peaks, recoveries);
  }

  /**
   * Waits up to {@code timeout} for the job's end.
   *
   * @throws TimeoutException if it has not ended by then (it goes on running)
   */
  public JobResult await(Duration timeout) throws TimeoutException, InterruptedException {
    try {
      return result.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException("job " + id + ": " + e.getCause().getMessage(), e.getCause());
    }
  }

  /** Completes with the job's end. */
  public CompletionStage<JobResult> result() {
    return result.copy();
  }

  /**
   * Asks the runtime to cancel the job: the step in flight is dropped and the status becomes
   * CANCELLED (see {@link #await}). Does nothing once the job has ended.
   */
  public void cancel() {
    if (!result.isDone()) {
      control.cancel(id);
    }
  }

  /**
   * Asks the coordinator to write a checkpoint at the next step boundary (into the spec's
   * checkpoint directory); the stage completes with the step of the next committed checkpoint,
   * or fails with the reason none was taken (no checkpoint directory, the job is not running,
   * it ended first).
   */
  public CompletionStage<Long> checkpointNow() {
    CompletableFuture<Long> done = new CompletableFuture<>();
    synchronized (this) {
      if (status.isFinal()) {
        return CompletableFuture.failedFuture(new IllegalStateException("job " + id + " has ended ("
            + status + "); there is nothing to checkpoint"));
      }
      checkpointRequests.add(done);
    }
    control.checkpoint(id);
    return done.copy();
  }

  /** Calls {@code listener} after every finished step. */
  public JobHandle onStep(Consumer<StepProgress> listener) {
    stepListeners.add(listener);
    return this;
  }

  /** Calls {@code listener} after every recovery from a failure. */
  public JobHandle onRecovery(Consumer<Recovery> listener) {
    recoveryListeners.add(listener);
    return this;
  }

  /** Applies one runtime event (on the client's event thread). */
  void apply(JobEvent event) {
    if (event instanceof JobEvent.JobStarted s) {
      Recovery recovery = null;
      synchronized (this) {
        status = JobStatus.RUNNING;
        schedule = s.schedule();
        deviceNodes = s.deviceNodes();
        if (s.attempt() > 0) {
          recoveries++;
          recovery = new Recovery(id, s.fromStep(), s.deviceNodes().size(), lastFailure);
        }
      }
      if (recovery != null) {
        fire(recoveryListeners, recovery);
      }
    } else if (event instanceof JobEvent.Progress p) {
      onProgress(p);
    } else if (event instanceof JobEvent.StepCompleted s) {
      StepProgress progress;
      synchronized (this) {
        status = JobStatus.RUNNING;
        stepsCompleted = s.step() + 1;
        loss = s.loss();
        stepMillis = s.stepMillis();
        tokensPerSecond = s.stepMillis() > 0 ? spec.tokensPerStep() / (s.stepMillis() / 1000.0) : 0;
        long[] b = s.peakActivationBytes();
        if (peakBytes.length != b.length) {
          peakBytes = new long[b.length];
        }
        List<Long> step = new ArrayList<>();
        for (int d = 0; d < b.length; d++) {
          peakBytes[d] = Math.max(peakBytes[d], b[d]);
          step.add(b[d]);
        }
        progress = new StepProgress(id, s.step(), spec.steps(), s.loss(), s.gradNorm(), s.stepMillis(),
            tokensPerSecond, step);
      }
      fire(stepListeners, progress);
    } else if (event instanceof JobEvent.JobSucceeded s) {
      finish(JobStatus.SUCCEEDED, s.steps(), s.finalLoss(), s.weightsSha256(), "");
    } else if (event instanceof JobEvent.JobFailed f) {
      finish(JobStatus.FAILED, -1, Double.NaN, "", f.message());
    } else if (event instanceof JobEvent.JobCancelled c) {
      finish(JobStatus.CANCELLED, c.stepsCompleted(), Double.NaN, "", c.reason());
    }
  }

  private void onProgress(JobEvent.Progress p) {
    List<CompletableFuture<Long>> answered = List.of();
    synchronized (this) {
      switch (p.kind()) {
        case "failure-detected", "downed", "leaving", "draining" -> {
          if (!status.isFinal()) {
            status = JobStatus.RECOVERING;
          }
          lastFailure = p.message();
        }
        case "checkpoint", "checkpoint-skipped" -> {
          answered = List.copyOf(checkpointRequests);
          checkpointRequests.clear();
        }
        default -> { }
      }
    }
    java.util.regex.Matcher m = CHECKPOINT_STEP.matcher(p.message());
    for (CompletableFuture<Long> f : answered) {
      if (p.kind().equals("checkpoint") && m.find(0)) {
        f.complete(Long.parseLong(m.group(1)));
      } else {
        f.completeExceptionally(new IllegalStateException("job " + id + ": " + p.message()));
      }
    }
  }

  /** Ends the job from the client's side (e.g. the client closed before the job ended). */
  void abandon(String message) {
    finish(JobStatus.FAILED, -1, Double.NaN, "", message);
  }

  private void finish(JobStatus end, long steps, double finalLoss, String sha, String message) {
    JobResult r;
    List<CompletableFuture<Long>> pending;
    synchronized (this) {
      if (status.isFinal()) {
        return;
      }
      status = end;
      if (steps >= 0) {
        stepsCompleted = steps;
      }
      if (!Double.isNaN(finalLoss)) {
        loss = finalLoss;
      }
      Optional<java.nio.file.Path> saved = end == JobStatus.SUCCEEDED
          ? spec.checkpointDir().map(d -> d.resolve("step-" + stepsCompleted)) : Optional.empty();
      r = new JobResult(id, end, stepsCompleted, loss, sha, message, saved);
      pending = List.copyOf(checkpointRequests);
      checkpointRequests.clear();
    }
    pending.forEach(f -> f.completeExceptionally(new IllegalStateException("job " + id + " ended (" + end
        + ") before a checkpoint was taken")));
    result.complete(r);
  }

  private <T> void fire(List<Consumer<T>> listeners, T value) {
    for (Consumer<T> l : listeners) {
      try {
        l.accept(value);
      } catch (RuntimeException e) {
        LOG.warn("job {}: a listener failed: {}", id, e.toString());
      }
    }
  }

  @Override
  public String toString() {
    return "JobHandle{" + id + ", " + status() + "}";
  }
}
