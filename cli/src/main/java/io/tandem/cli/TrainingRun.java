package io.tandem.cli;

import io.tandem.actors.ActivationEstimate;
import io.tandem.actors.JobEvent;
import io.tandem.actors.JobFactory;
import io.tandem.actors.JobSpecs;
import io.tandem.actors.Recompute;
import io.tandem.actors.cluster.ClusterNode;
import io.tandem.actors.cluster.InJvmRuntime;
import io.tandem.proto.JobSpec;
import io.tandem.proto.OpTiming;
import io.tandem.proto.StepReport;
import io.tandem.schedule.Schedule;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * One training job run in this JVM, as {@code train} and {@code demo} show it: a header line,
 * the progress bar, the loss history, the last step's op timings, and the final line.
 */
final class TrainingRun {
  private final ProgressBar bar;
  private final long tokensPerStep;
  private Schedule schedule;
  private JobSpec job;
  private JobEvent end;
  /** Per device, the largest measured peak of held activations over the steps so far. */
  private long[] peakBytes;
  private final List<Double> losses = new ArrayList<>();
  private final List<Double> stepMillis = new ArrayList<>();
  private volatile JobEvent.StepCompleted last;

  TrainingRun(PrintWriter err, long steps, long tokensPerStep, boolean terminal) {
    this.bar = new ProgressBar(err, steps, terminal);
    this.tokensPerStep = tokensPerStep;
  }

  /**
   * Runs the checked {@code job} to its end on the in-JVM runtime ({@link InJvmRuntime}: the
   * same one-member cluster as the Java API's {@code Tandem.local}), showing progress on {@code err}.
   */
  static TrainingRun start(JobSpec job, Duration stepTimeout, PrintWriter err) {
    Schedule plan = JobFactory.schedule(job);
    JobFactory.provider(job, plan); // this JVM runs the devices: a backend it cannot run (no CUDA) is a user error now
    if (job.getResumeStep() > 0) {
      err.printf(Locale.ROOT, "tandem: resuming from %s (step %d)%n",
          Path.of(job.getCheckpointDir()).resolve("step-" + job.getResumeStep()), job.getResumeStep());
    }
    err.printf(Locale.ROOT, "tandem: training %s on %d %s device(s)%s, schedule %s, %d microbatches x %d, %d steps%n",
        job.getModel(), job.getDevices(), job.getBackend(), replicas(job), plan.name(), job.getMicrobatches(),
        job.getMicrobatchSize(), job.getSteps());
    err.flush();
    TrainingRun run = new TrainingRun(err, job.getSteps(), JobSpecs.tokensPerStep(job), System.console() != null);
    run.schedule = plan;
    run.job = job;
    run.end = InJvmRuntime.run(job, limit(job, stepTimeout), run::onEvent);
    return run;
  }

  /** {@code " (D data-parallel replicas x p pipeline devices)"}, or nothing without data parallelism. */
  static String replicas(JobSpec job) {
    int d = JobSpecs.dataParallel(job);
    return d == 1 ? "" : String.format(Locale.ROOT, " (%d data-parallel replicas x %d pipeline devices)", d,
        JobSpecs.pipelineDevices(job));
  }

  /** The whole job's time limit: the coordinator fails a slow step itself; this is only a backstop. */
  private static Duration limit(JobSpec job, Duration stepTimeout) {
    return stepTimeout.multipliedBy(job.getSteps() + 2).plusMinutes(5);
  }

  /**
   * Runs {@code job} on a cluster: this JVM joins {@code seeds} as a client member, submits the
   * job to the job master and shows its progress like a local run.
   */
  static TrainingRun startOnCluster(JobSpec job, String bind, List<String> seeds, int minNodes, Duration stepTimeout,
      PrintWriter err) {
    Schedule plan = JobFactory.schedule(job);
    err.printf(Locale.ROOT, "tandem: training %s on a cluster (%d %s device(s)%s on >= %d worker node(s)), schedule %s,"
        + " %d microbatches x %d, %d steps%n", job.getModel(), job.getDevices(), job.getBackend(), replicas(job), minNodes,
        plan.name(), job.getMicrobatches(), job.getMicrobatchSize(), job.getSteps());
    err.flush();
    TrainingRun run = new TrainingRun(err, job.getSteps(), JobSpecs.tokensPerStep(job), System.console() != null);
    run.schedule = plan;
    run.job = job;
    try (ClusterNode node = ClusterNode.start(bind, 0, seeds, List.of("client"), 0)) {
      run.end = node.run(job, minNodes, limit(job, stepTimeout), run::onEvent);
    }
    return run;
  }

  Schedule schedule() {
    return schedule;
  }

  boolean succeeded() {
    return end instanceof JobEvent.JobSucceeded;
  }

  /**
   * Prints the outcome: the trace (if asked) and {@code final step=S loss=X weights-sha256=HEX}
   * as the last line of {@code out}, or the failure on {@code err}. Returns the exit code.
   */
  int finish(PrintWriter out, PrintWriter err, Path trace) {
    if (end instanceof JobEvent.JobSucceeded ok) {
      if (trace != null) {
        writeTrace(trace, schedule);
        err.println("tandem: trace of the last step written to " + trace + " (open in https://ui.perfetto.dev)");
        err.flush();
      }
      printMemory(err);
      out.printf(Locale.ROOT, "final step=%d loss=%.6f weights-sha256=%s%n", ok.steps(), ok.finalLoss(), ok.weightsSha256());
      out.flush();
      return 0;
    }
    abort();
    err.println("tandem: job failed: " + ((JobEvent.JobFailed) end).message());
    err.flush();
    return 1;
  }

  /**
   * The run summary's memory line: each device's measured peak activation bytes next to the
   * planner's estimate for the job's schedule, layer split and recomputation.
   */
  private void printMemory(PrintWriter err) {
    long[] measured;
    synchronized (this) {
      measured = peakBytes;
    }
    if (measured == null || job == null) {
      return;
    }
    // one estimate per pipeline device; every data-parallel replica holds the same stages
    java.util.Optional<long[]> planned = ActivationEstimate.of(job, schedule).map(perDevice -> {
      long[] all = new long[perDevice.length * io.tandem.actors.JobSpecs.dataParallel(job)];
      for (int i = 0; i < all.length; i++) {
        all[i] = perDevice[i % perDevice.length];
      }
      return all;
    });
    String estimate = planned.isEmpty() ? "n/a (no planner profile)"
        : planned.get().length != measured.length ? "n/a (re-planned onto " + measured.length + " devices)"
        : mib(planned.get());
    err.printf(Locale.ROOT, "tandem: peak activations per device: measured %s, planner estimate %s (recompute %s)%n",
        mib(measured), estimate, Recompute.describe(job, schedule.stages()));
    err.flush();
  }

  private static String mib(long[] bytes) {
    return Arrays.stream(bytes).mapToObj(b -> String.format(Locale.ROOT, "%.2f", b / (double) (1 << 20)))
        .collect(Collectors.joining(" ", "[", "] MiB"));
  }

  void onEvent(JobEvent event) {
    if (event instanceof JobEvent.Progress p) {
      bar.note("tandem: " + p.kind() + ": " + p.message());
      return;
    }
    if (event instanceof JobEvent.StepCompleted s) {
      synchronized (this) {
        losses.add(s.loss());
        stepMillis.add(s.stepMillis());
        long[] b = s.peakActivationBytes();
        if (peakBytes == null || peakBytes.length != b.length) {
          peakBytes = b.clone(); // first step, or the device count changed in a recovery
        } else {
          for (int d = 0; d < b.length; d++) {
            peakBytes[d] = Math.max(peakBytes[d], b[d]);
          }
        }
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
