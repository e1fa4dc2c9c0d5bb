package io.tandem.actors.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tandem.actors.JobEvent;
import io.tandem.actors.JobSpecs;
import io.tandem.proto.JobSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the admin server knows of one submitted job, updated from its {@link JobEvent}s:
 * status, last step, loss and tokens/s, the plan (schedule and the node of each device), peak
 * activation memory per device, recoveries, the final weights hash, and the progress events
 * (checkpoints, failures, recoveries) with their times, the latest {@link #MAX_EVENTS} kept.
 * Thread-safe. {@link #toHistory} and {@link #fromHistory} carry it over a job master take-over.
 */
public final class JobRecord {
  /** A job's status as the admin API reports it. */
  public enum Status { PENDING, RUNNING, RECOVERING, SUCCEEDED, FAILED, CANCELLED }

  /** One progress event: when (epoch ms), kind and message. */
  public record Event(long timeMs, String kind, String message) {}

  private static final Pattern CHECKPOINT_STEP = Pattern.compile("step-(\\d+)");
  /** Steps of loss history kept. */
  static final int LOSS_HISTORY = 5000;
  /** Progress events kept (older ones are counted in {@code eventsDropped}). */
  public static final int MAX_EVENTS = 500;
  /** Loss curve points kept in a {@link #toHistory history}. */
  static final int HISTORY_LOSSES = 1000;

  private final JobSpec spec;
  private final long tokensPerStep;
  private final long submittedMs;
  private Status status = Status.PENDING;
  private long step = -1;
  private double loss = Double.NaN;
  private double stepMillis = Double.NaN;
  private String schedule = "";
  private List<String> deviceNodes = List.of();
  private long[] peakBytes = new long[0];
  private int recoveries;
  private String weightsSha256 = "";
  private String error = "";
  /** Why the job has not started yet (the job master's latest {@code waiting} event); empty once it starts. */
  private String waiting = "";
  private final java.util.ArrayDeque<Event> events = new java.util.ArrayDeque<>();
  private long eventsDropped;
  /** (step, loss) of the latest {@link #LOSS_HISTORY} steps, for the dashboard's loss curve. */
  private final java.util.ArrayDeque<double[]> losses = new java.util.ArrayDeque<>();
  private List<io.tandem.proto.StepReport> lastReports = List.of();
  private double[] lastPeakUnits = new double[0];
  /** The simulation of the current plan's schedule, for the timeline (the dashboard asks every 2 s). */
  private volatile JobTimeline.Simulation simulation;
  private final List<CompletableFuture<Long>> checkpointRequests = new ArrayList<>();

  public JobRecord(JobSpec spec) {
    this(spec, System.currentTimeMillis());
  }

  private JobRecord(JobSpec spec, long submittedMs) {
    this.spec = spec;
    this.submittedMs = submittedMs;
    this.tokensPerStep = JobSpecs.tokensPerStep(spec);
  }

  /** The record as {@code history} left it (an unknown status reads as {@code PENDING}). */
  public static JobRecord fromHistory(io.tandem.proto.JobHistory h) {
    JobRecord r = new JobRecord(h.getSpec(), h.getSubmittedMs());
    synchronized (r) {
      try {
        r.status = Status.valueOf(h.getStatus());
      } catch (IllegalArgumentException e) {
        r.status = Status.PENDING;
      }
      r.step = h.getStepsDone() - 1;
      r.loss = h.getLoss();
      r.stepMillis = h.getStepMillis();
      r.schedule = h.getSchedule();
      r.deviceNodes = List.copyOf(h.getDeviceNodesList());
      r.peakBytes = h.getPeakActivationBytesList().stream().mapToLong(Long::longValue).toArray();
      r.lastPeakUnits = h.getPeakActivationUnitsList().stream().mapToDouble(Double::doubleValue).toArray();
      r.recoveries = h.getRecoveries();
      r.weightsSha256 = h.getWeightsSha256();
      r.error = h.getError();
      r.waiting = h.getWaiting();
      h.getEventsList().forEach(e -> r.events.addLast(new Event(e.getTimeMs(), e.getKind(), e.getMessage())));
      r.eventsDropped = h.getEventsDropped();
      for (int i = 0; i < Math.min(h.getLossStepsCount(), h.getLossValuesCount()); i++) {
        r.losses.addLast(new double[] {h.getLossSteps(i), h.getLossValues(i)});
      }
    }
    return r;
  }

  /** What {@link #fromHistory} needs to show this record again (the latest {@link #HISTORY_LOSSES} loss points). */
  public synchronized io.tandem.proto.JobHistory toHistory() {
    io.tandem.proto.JobHistory.Builder h = io.tandem.proto.JobHistory.newBuilder().setSpec(spec)
        .setSubmittedMs(submittedMs).setStatus(status.name()).setStepsDone(step + 1).setLoss(loss)
        .setStepMillis(stepMillis).setSchedule(schedule).addAllDeviceNodes(deviceNodes).setRecoveries(recoveries)
        .setWeightsSha256(weightsSha256).setError(error).setWaiting(waiting).setEventsDropped(eventsDropped);
    for (long b : peakBytes) {
      h.addPeakActivationBytes(b);
    }
    for (double u : lastPeakUnits) {
      h.addPeakActivationUnits(u);
    }
    for (Event e : events) {
      h.addEvents(io.tandem.proto.JobHistoryEvent.newBuilder().setTimeMs(e.timeMs()).setKind(e.kind())
          .setMessage(e.message()));
    }
    int skip = Math.max(0, losses.size() - HISTORY_LOSSES);
    for (double[] point : losses) {
      if (skip-- <= 0) {
        h.addLossSteps((long) point[0]).addLossValues(point[1]);
      }
    }
    return h.build();
  }

  public JobSpec spec() {
    return spec;
  }

  public String id() {
    return spec.getJobId();
  }

  public synchronized Status status() {
    return status;
  }

  public synchronized List<Event> events() {
    return List.copyOf(events);
  }

  /** Steps completed so far. */
  public synchronized long stepsCompleted() {
    return step + 1;
  }

  /** Loss of the last step (NaN before the first). */
  public synchronized double loss() {
    return loss;
  }

  /** Tokens per second of the last step (0 before the first, and for the sim backend). */
  public synchronized double tokensPerSecond() {
    return Double.isNaN(stepMillis) || stepMillis <= 0 ? 0 : tokensPerStep / (stepMillis / 1000.0);
  }

  /** Per device, the largest peak of held activation bytes over all steps. */
  public synchronized long[] peakActivationBytes() {
    return peakBytes.clone();
  }

  /** Failures the job recovered from. */
  public synchronized int recoveries() {
    return recoveries;
  }

  /** The node of each device of the current plan (empty before the job starts). */
  public synchronized List<String> deviceNodes() {
    return deviceNodes;
  }

  /**
   * A stage completed with the step of the next committed checkpoint, or failed with why none
   * was taken; the caller asks the runtime for the checkpoint itself.
   */
  public synchronized CompletionStage<Long> awaitCheckpoint() {
    CompletableFuture<Long> f = new CompletableFuture<>();
    if (isFinal()) {
      f.completeExceptionally(new IllegalStateException("job " + id() + " has ended (" + status + ")"));
    } else {
      checkpointRequests.add(f);
    }
    return f;
  }

  /** The measured and simulated timelines of the last completed step ({@link JobTimeline}). */
  public ObjectNode timelineJson() {
    List<io.tandem.proto.StepReport> reports;
    String scheduleName;
    synchronized (this) {
      reports = lastReports;
      scheduleName = schedule;
    }
    if (reports.isEmpty()) {
      return JobTimeline.json(reports, null);
    }
    JobTimeline.Simulation sim = simulation;
    if (sim == null || !sim.isFor(scheduleName, reports.size())) {
      sim = JobTimeline.Simulation.of(spec, scheduleName, reports.size()); // once per plan: may run auto's search
      simulation = sim;
    }
    return JobTimeline.json(reports, sim);
  }

  /** True once the job has ended. */
  public synchronized boolean isFinal() {
    return status == Status.SUCCEEDED || status == Status.FAILED || status == Status.CANCELLED;
  }

  /** Applies one event of the job. */
  public void on(JobEvent event) {
    List<CompletableFuture<Long>> answered = List.of();
    synchronized (this) {
      if (!(event instanceof JobEvent.Progress)) {
        waiting = "";
      }
      if (event instanceof JobEvent.JobStarted s) {
        status = Status.RUNNING;
        schedule = s.schedule();
        deviceNodes = s.deviceNodes();
        if (s.attempt() > 0) {
          recoveries++;
        }
      } else if (event instanceof JobEvent.StepCompleted s) {
        status = Status.RUNNING;
        step = s.step();
        loss = s.loss();
        stepMillis = s.stepMillis();
        losses.addLast(new double[] {s.step(), s.loss()});
        if (losses.size() > LOSS_HISTORY) {
          losses.removeFirst();
        }
        lastReports = List.copyOf(s.reports());
        lastPeakUnits = s.peakActivationUnits().clone();
        long[] b = s.peakActivationBytes();
        if (peakBytes.length != b.length) {
          peakBytes = new long[b.length];
        }
        for (int d = 0; d < b.length; d++) {
          peakBytes[d] = Math.max(peakBytes[d], b[d]);
        }
      } else if (event instanceof JobEvent.Progress p) {
        events.addLast(new Event(System.currentTimeMillis(), p.kind(), p.message()));
        if (events.size() > MAX_EVENTS) {
          events.removeFirst();
          eventsDropped++;
        }
        if (p.kind().equals("waiting") && status == Status.PENDING) {
          waiting = p.message();
        } else if (p.kind().equals("admitted")) {
          waiting = "";
        }
        if (p.kind().equals("failure-detected") || p.kind().equals("downed")
            || (p.kind().equals("coordinator-moved") && !isFinal())) {
          status = Status.RECOVERING;
        }
        if (p.kind().equals("checkpoint") || p.kind().equals("checkpoint-skipped")) {
          answered = List.copyOf(checkpointRequests);
          checkpointRequests.clear();
        }
      } else if (event instanceof JobEvent.JobSucceeded ok) {
        status = Status.SUCCEEDED;
        step = ok.steps() - 1;
        loss = ok.finalLoss();
        weightsSha256 = ok.weightsSha256();
      } else if (event instanceof JobEvent.JobFailed f) {
        status = Status.FAILED;
        error = f.message();
      } else if (event instanceof JobEvent.JobCancelled c) {
        status = Status.CANCELLED;
        step = c.stepsCompleted() - 1;
        error = c.reason();
      }
      if (isFinal()) {
        answered = List.copyOf(checkpointRequests);
        checkpointRequests.clear();
      }
    }
    for (CompletableFuture<Long> f : answered) {
      if (event instanceof JobEvent.Progress p) {
        Matcher m = CHECKPOINT_STEP.matcher(p.message());
        if (p.kind().equals("checkpoint") && m.find()) {
          f.complete(Long.parseLong(m.group(1)));
        } else {
          f.completeExceptionally(new IllegalStateException(p.message()));
        }
      } else {
        f.completeExceptionally(new IllegalStateException("job " + id() + " ended before a checkpoint was taken"));
      }
    }
  }

  /**
   * The record as JSON: {@code id, status, step, steps, loss, tokensPerSecond, plan,
   * peakActivationBytes, recoveries, ...}; {@code step} counts completed steps; {@code waiting}
   * (only while the job waits to start) says for what, e.g. {@code job j waiting for 4 devices, have 2 ...}.
   */
  public synchronized ObjectNode toJson() {
    ObjectNode o = JobSpecJson.mapper().createObjectNode();
    o.put("id", id());
    o.put("status", status.name());
    o.put("step", step + 1);
    o.put("steps", spec.getSteps());
    if (!Double.isNaN(loss)) {
      o.put("loss", loss);
    }
    if (!Double.isNaN(stepMillis)) {
      o.put("stepMillis", stepMillis);
      o.put("tokensPerSecond", tokensPerSecond());
    }
    ObjectNode plan = o.putObject("plan");
    plan.put("schedule", schedule);
    plan.put("devices", deviceNodes.size());
    ArrayNode nodes = plan.putArray("deviceNodes");
    deviceNodes.forEach(nodes::add);
    ArrayNode peaks = o.putArray("peakActivationBytes");
    for (long b : peakBytes) {
      peaks.add(b);
    }
    ArrayNode units = o.putArray("peakActivationUnits");
    for (double u : lastPeakUnits) {
      units.add(u);
    }
    ArrayNode curve = o.putArray("losses");
    for (double[] point : losses) {
      curve.addArray().add((long) point[0]).add(point[1]);
    }
    o.put("recoveries", recoveries);
    if (!weightsSha256.isEmpty()) {
      o.put("weightsSha256", weightsSha256);
    }
    if (!error.isEmpty()) {
      o.put("error", error);
    }
    if (!waiting.isEmpty()) {
      o.put("waiting", waiting);
    }
    o.put("submittedMs", submittedMs);
    if (eventsDropped > 0) {
      o.put("eventsDropped", eventsDropped);
    }
    ArrayNode ev = o.putArray("events");
    for (Event e : events) {
      ev.addObject().put("timeMs", e.timeMs()).put("kind", e.kind()).put("message", e.message());
    }
    o.set("spec", JobSpecJson.toJson(spec));
    return o;
  }
}
