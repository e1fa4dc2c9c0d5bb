package io.tandem.actors.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tandem.actors.JobEvent;
import io.tandem.proto.JobSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * What the admin server knows of one submitted job, updated from its {@link JobEvent}s:
 * status, last step and loss, the final weights hash, and the progress events (checkpoints,
 * failures, recoveries) with their times. Thread-safe.
 */
public final class JobRecord {
  /** A job's status as the admin API reports it. */
  public enum Status { PENDING, RUNNING, RECOVERING, SUCCEEDED, FAILED }

  /** One progress event: when (epoch ms), kind and message. */
  public record Event(long timeMs, String kind, String message) {}

  private final JobSpec spec;
  private final long submittedMs = System.currentTimeMillis();
  private Status status = Status.PENDING;
  private long step = -1;
  private double loss = Double.NaN;
  private double stepMillis = Double.NaN;
  private String weightsSha256 = "";
  private String error = "";
  private final List<Event> events = new ArrayList<>();

  public JobRecord(JobSpec spec) {
    this.spec = spec;
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

  /** Applies one event of the job. */
  public synchronized void on(JobEvent event) {
    if (event instanceof JobEvent.StepCompleted s) {
      status = Status.RUNNING;
      step = s.step();
      loss = s.loss();
      stepMillis = s.stepMillis();
    } else if (event instanceof JobEvent.Progress p) {
      events.add(new Event(System.currentTimeMillis(), p.kind(), p.message()));
      if (p.kind().equals("failure-detected") || p.kind().equals("downed")) {
        status = Status.RECOVERING;
      }
    } else if (event instanceof JobEvent.JobSucceeded ok) {
      status = Status.SUCCEEDED;
      step = ok.steps() - 1;
      loss = ok.finalLoss();
      weightsSha256 = ok.weightsSha256();
    } else if (event instanceof JobEvent.JobFailed f) {
      status = Status.FAILED;
      error = f.message();
    }
  }

  /** The record as JSON: {@code id, status, step, steps, loss, ...}; {@code step} counts completed steps. */
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
    }
    if (!weightsSha256.isEmpty()) {
      o.put("weightsSha256", weightsSha256);
    }
    if (!error.isEmpty()) {
      o.put("error", error);
    }
    o.put("submittedMs", submittedMs);
    ArrayNode ev = o.putArray("events");
    for (Event e : events) {
      ev.addObject().put("timeMs", e.timeMs()).put("kind", e.kind()).put("message", e.message());
    }
    o.set("spec", JobSpecJson.toJson(spec));
    return o;
  }
}
