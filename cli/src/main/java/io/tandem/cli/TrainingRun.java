package io.tandem.cli;

import io.tandem.actors.JobEvent;
import io.tandem.proto.OpTiming;
import io.tandem.proto.StepReport;
import io.tandem.schedule.Schedule;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Follows a training job's events: progress bar, loss history, and the last step's op timings. */
final class TrainingRun {
  private final ProgressBar bar;
  private final long tokensPerStep;
  private final List<Double> losses = new ArrayList<>();
  private final List<Double> stepMillis = new ArrayList<>();
  private volatile JobEvent.StepCompleted last;

  TrainingRun(PrintWriter err, long steps, long tokensPerStep, boolean terminal) {
    this.bar = new ProgressBar(err, steps, terminal);
    this.tokensPerStep = tokensPerStep;
  }

  void onEvent(JobEvent event) {
    if (event instanceof JobEvent.StepCompleted s) {
      synchronized (this) {
        losses.add(s.loss());
        stepMillis.add(s.stepMillis());
      }
      last = s;
      String rate = tokensPerStep > 0
          ? String.format(Locale.ROOT, " tok/s %.0f", tokensPerStep / (s.stepMillis() / 1000.0))
          : String.format(Locale.ROOT, " step %.0f ms", s.stepMillis());
      bar.update(s.step() + 1, String.format(Locale.ROOT, "loss %.4f%s peak act %s",
          s.loss(), rate, TrainCommand.formatUnits(s.peakActivationUnits())));
    }
  }

  void abort() {
    bar.abort();
  }

  synchronized List<Double> losses() {
    return List.copyOf(losses);
  }

  synchronized List<Double> stepMillis() {
    return List.copyOf(stepMillis);
  }

  JobEvent.StepCompleted lastStep() {
    return last;
  }

  /** Tokens per second over all steps after the first (which includes warm-up). */
  synchronized double tokensPerSecond() {
    List<Double> ms = stepMillis.size() > 1 ? stepMillis.subList(1, stepMillis.size()) : stepMillis;
    double total = 0;
    for (double m : ms) {
      total += m;
    }
    return total == 0 ? 0 : tokensPerStep * ms.size() / (total / 1000.0);
  }

  /** Writes the last step's executed ops as Chrome-trace JSON: one process per device. */
  void writeTrace(Path file, Schedule schedule) {
    JobEvent.StepCompleted s = last;
    if (s == null) {
      return;
    }
    double origin = Double.MAX_VALUE;
    for (StepReport r : s.reports()) {
      for (OpTiming t : r.getTimingsList()) {
        origin = Math.min(origin, t.getStartMs());
      }
    }
    StringBuilder json = new StringBuilder("{\"traceEvents\":[\n");
    boolean first = true;
    for (StepReport r : s.reports()) {
      json.append(first ? "" : ",\n").append(String.format(Locale.ROOT,
          "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%d,\"args\":{\"name\":\"device %d\"}}",
          r.getDevice(), r.getDevice()));
      first = false;
      for (OpTiming t : r.getTimingsList()) {
        String name = t.getOp().getKind().name() + t.getOp().getMicrobatch() + "@" + t.getOp().getVirtualStage();
        json.append(String.format(Locale.ROOT,
            ",\n{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"X\",\"pid\":%d,\"tid\":0,\"ts\":%.1f,\"dur\":%.1f,"
                + "\"args\":{\"microbatch\":%d,\"stage\":%d,\"step\":%d}}",
            name, t.getOp().getKind().name(), r.getDevice(), (t.getStartMs() - origin) * 1000,
            (t.getEndMs() - t.getStartMs()) * 1000, t.getOp().getMicrobatch(), t.getOp().getVirtualStage(), s.step()));
      }
    }
    json.append("\n],\"displayTimeUnit\":\"ms\",\"otherData\":{\"schedule\":\"").append(schedule.name()).append("\"}}\n");
    try {
      Files.writeString(file, json);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write trace " + file + ": " + e.getMessage(), e);
    }
  }
}
