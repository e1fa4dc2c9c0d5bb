package io.tandem.cli;

import io.tandem.actors.JobEvent;
import io.tandem.actors.cluster.ClusterNode;
import io.tandem.actors.cluster.WorkerProcesses;
import io.tandem.proto.JobSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tandem bench recovery}: a loopback cluster (this JVM coordinates, one worker JVM per
 * device) runs jobs of the same spec, interleaved: with nothing saved, with in-memory peer
 * snapshots every step (the default), and with disk checkpoints every K steps alone; then one
 * with the defaults plus disk checkpoints and one worker killed (SIGKILL) mid-run. Reports the
 * snapshots' and checkpoints' overhead, the recovery time split and throughput before and after
 * the failure.
 */
@Command(name = "recovery", mixinStandardHelpOptions = true,
    description = "Measure checkpoint overhead and recovery from a killed worker JVM (CPU backend, loopback).")
public final class BenchRecoveryCommand implements Callable<Integer> {

  @Option(names = "--devices", defaultValue = "4", description = "worker JVMs, one device each (default: ${DEFAULT-VALUE})")
  int devices;

  @Option(names = "--model", defaultValue = "gpt-tiny", description = "model preset (default: ${DEFAULT-VALUE})")
  String model;

  @Option(names = "--schedule", defaultValue = "v-half", description = "schedule (default: ${DEFAULT-VALUE})")
  String schedule;

  @Option(names = "--steps", defaultValue = "40", description = "steps per job (default: ${DEFAULT-VALUE})")
  int steps;

  @Option(names = "--microbatches", defaultValue = "8", description = "microbatches (default: ${DEFAULT-VALUE})")
  int microbatches;

  @Option(names = "--microbatch-size", defaultValue = "2", description = "sequences per microbatch (default: ${DEFAULT-VALUE})")
  int microbatchSize;

  @Option(names = "--checkpoint-every", defaultValue = "5", description = "K (default: ${DEFAULT-VALUE})")
  int every;

  @Option(names = "--data-parallel", defaultValue = "1", description = "data-parallel replicas of every job; with 2 or"
      + " more the failure run keeps no periodic snapshots: a surviving replica's live state restores it"
      + " (default: ${DEFAULT-VALUE})")
  int dataParallel;

  @Option(names = "--rounds", defaultValue = "3", description = "interleaved runs of each variant for the step times"
      + " (default: ${DEFAULT-VALUE})")
  int rounds;

  @Option(names = "--warmup-steps", defaultValue = "40", description = "steps of a first job whose times are not"
      + " counted (default: ${DEFAULT-VALUE})")
  int warmupSteps;

  @Option(names = "--kill-at", defaultValue = "17", description = "kill a worker when this step completes (default: ${DEFAULT-VALUE})")
  int killAt;

  /** The largest snapshot interval the snapshot runs announced (1: every step). */
  private int snapshotEvery = 1;

  @Option(names = "--json", description = "print one JSON object: resumedSeconds, stepsRecomputed, overheadPercent and"
      + " the recovery's parts")
  boolean json;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  /** Arrival times (nanoTime) of a job's events in this JVM, and its step times. */
  static final class Timeline {
    final Map<String, Long> firstOf = new ConcurrentHashMap<>();
    /** The snapshot interval the job used: 1 unless it announced another ({@code snapshot-interval}). */
    volatile int snapshotEvery = 1;
    final List<double[]> steps = new ArrayList<>(); // {step, ms, attempt}
    volatile long killNanos;
    volatile int attempt;
    volatile long restoredStep = -1;
    volatile boolean fromMemory;
    volatile long lastStepBeforeKill = -1;
    /** When the first step after the kill completed (a rerouted step counts: training went on). */
    volatile long firstResumedNanos;
    /** When the first step after the restore completed. */
    volatile long firstAfterRestoreNanos;
    /** Steps completed before the restore (the rerouted step in flight included). */
    volatile long doneBeforeRestore;
    /** Whether an intact replica finished the step in flight ({@code rerouted}). */
    volatile boolean rerouted;

    long stepsRecomputed() {
      return Math.max(0, doneBeforeRestore - restoredStep);
    }
  }

  @Override
  public Integer call() throws IOException {
    if (killAt < 2 || killAt >= steps - 5) {
      throw new IllegalArgumentException("--kill-at must be in [2, steps - 5)");
    }
    if (warmupSteps < 1) {
      throw new IllegalArgumentException("--warmup-steps must be >= 1, got " + warmupSteps);
    }
    if (rounds < 1) {
      throw new IllegalArgumentException("--rounds must be >= 1, got " + rounds);
    }
    if (dataParallel < 1 || devices % dataParallel != 0 || microbatches % dataParallel != 0) {
      throw new IllegalArgumentException("--data-parallel must be >= 1 and divide --devices " + devices
          + " and --microbatches " + microbatches + ", got " + dataParallel);
    }
    PrintWriter out = spec.commandLine().getOut();
    Path dir = Files.createTempDirectory("tandem-bench-recovery");
    try (ClusterNode node = ClusterNode.start("127.0.0.1", 0, List.of(), List.of("coordinator"), 0);
         WorkerProcesses workers = WorkerProcesses.start(devices, TandemCli.class.getName(),
             List.of("worker", "--seeds", "127.0.0.1:" + node.port(), "--watch-pid",
                 Long.toString(WorkerProcesses.selfPid())), dir.resolve("logs"))) {
      // JIT, connections: the data plane's AES-GCM runs at under 100 MB/s until C2 compiles it
      run(node, workers, job("warmup", 0, dir).toBuilder().setSteps(warmupSteps).build(), false);
      List<Double> none = new ArrayList<>();
      List<Double> snap = new ArrayList<>();
      List<Double> ckpt = new ArrayList<>();
      double blocking = 0;
      Map<String, List<Double>> runMedians = new LinkedHashMap<>(); // per variant, each run's median step ms
      // interleaved, and each round in another order, so drift in machine load and a variant's place hit all alike
      for (int round = 0; round < rounds; round++) {
        for (int i = 0; i < 3; i++) {
          switch ((round + i) % 3) {
            case 0 -> none.addAll(runMedian(runMedians, "none",
                stepTimes(run(node, workers, noSnapshots(job("none" + round, 0, dir)), false))));
            case 1 -> {
              Timeline t = run(node, workers, job("snap" + round, 0, dir), false);
              snapshotEvery = Math.max(snapshotEvery, t.snapshotEvery);
              snap.addAll(runMedian(runMedians, "snapshots", stepTimes(t)));
            }
            default -> {
              Timeline c = run(node, workers, noSnapshots(job("ckpt" + round, every, dir)), false);
              ckpt.addAll(runMedian(runMedians, "checkpoints", stepTimes(c)));
              blocking = Math.max(blocking, c.firstOf.getOrDefault("blocking", 0L) / 1e3);
            }
          }
        }
      }
      JobSpec failing = job("fail", every, dir);
      Timeline fail = run(node, workers, dataParallel > 1 ? noSnapshots(failing) : failing, true);
      double base = median(none);
      double withSnapshots = median(snap);
      double withCkpt = median(ckpt);
      if (json) {
        printJson(out, fail, base, withSnapshots, withCkpt, blocking, runMedians);
        return 0;
      }
      out.printf(Locale.ROOT, "%s on %d worker JVMs, %s, %d microbatches x %d, %d steps (CPU backend, loopback)%n",
          model, devices, schedule, microbatches, microbatchSize, steps);
      out.printf(Locale.ROOT, "step time median over %d interleaved runs each: nothing saved %.1f ms, in-memory peer"
          + " snapshots every step %.1f ms (overhead %+.1f%%; paired by round %+.1f%%), disk checkpoint every %d steps"
          + " %.1f ms (overhead %+.1f%%);"
          + " checkpoint snapshot blocking compute: max %.1f ms (first checkpoint of each run)%n", rounds,
          base, withSnapshots, 100 * (withSnapshots / base - 1),
          100 * (pairedRatio(runMedians, "snapshots", "none") - 1), every, withCkpt, 100 * (withCkpt / base - 1),
          blocking);
      long k = fail.killNanos;
      out.printf(Locale.ROOT, "recovery after SIGKILL of 1 of %d at step %d: detection %.1f s, downing %.1f s,"
              + " re-plan %.0f ms, restore (spawn + load) %.1f s, first resumed step %.1f s; total %.1f s%n",
          devices, killAt, s(fail, "failure-detected", k), s(fail, "downed", "failure-detected"),
          1000 * s(fail, "re-planned", "downed"), s(fail, "restored", "re-planned"), s(fail, "resumed", "restored"),
          s(fail, "resumed", k));
      out.printf(Locale.ROOT, "steps recomputed: %d (kill after step %d completed,%s restored step %d from %s,"
              + " checkpoint every %d%s)%n", fail.stepsRecomputed(), fail.lastStepBeforeKill,
          fail.rerouted ? " the step in flight rerouted to the intact replica," : "",
          fail.restoredStep, fail.fromMemory ? "memory" : "disk", every, dataParallel > 1 ? "; " + dataParallel
              + " replicas, no periodic snapshots in this run" : "");
      double before = median(fail, 0, killAt + 1);
      double after = medianAttempt(fail, 1);
      out.printf(Locale.ROOT, "throughput after losing 1 of %d: %.1f ms/step before, %.1f ms/step after:"
          + " %.3f of before, %.3f of (%d/%d of before)%n", devices, before, after, before / after,
          (before / after) / ((devices - 1.0) / devices), devices - 1, devices);
      out.flush();
    }
    return 0;
  }

  /** The {@code --json} object: issue 14's keys first, then the recovery's parts (seconds; -1 when not seen). */
  private void printJson(PrintWriter out, Timeline fail, double base, double withSnapshots, double withCkpt,
      double blocking, Map<String, List<Double>> runMedians) {
    long k = fail.killNanos;
    long detected = java.util.stream.Stream.of("failure-detected", "step-failed", "peer-lost", "failure-confirmed")
        .map(fail.firstOf::get).filter(java.util.Objects::nonNull).min(Long::compare).orElse(0L);
    com.fasterxml.jackson.databind.node.ObjectNode o = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
    o.put("resumedSeconds", round((fail.firstResumedNanos - k) / 1e9));
    o.put("stepsRecomputed", fail.stepsRecomputed());
    o.put("overheadPercent", round(100 * (withSnapshots / base - 1)));
    o.put("detectionSeconds", detected == 0 ? -1 : round((detected - k) / 1e9));
    o.put("downedSeconds", fail.firstOf.containsKey("downed") ? round(s(fail, "downed", k)) : -1);
    o.put("confirmedByProbe", fail.firstOf.containsKey("failure-confirmed"));
    o.put("restoreSeconds", round(s(fail, "restored", "re-planned")));
    o.put("restoredFromMemory", fail.fromMemory);
    o.put("rerouted", fail.rerouted);
    o.put("firstStepAfterRestoreSeconds", fail.firstAfterRestoreNanos == 0 ? -1
        : round((fail.firstAfterRestoreNanos - k) / 1e9));
    o.put("overheadPercentPaired", round(100 * (pairedRatio(runMedians, "snapshots", "none") - 1)));
    o.put("stepMsWithoutSnapshots", round(base));
    o.put("stepMsWithSnapshots", round(withSnapshots));
    o.put("stepMsWithCheckpoints", round(withCkpt));
    o.put("checkpointOverheadPercent", round(100 * (withCkpt / base - 1)));
    o.put("snapshotEvery", snapshotEvery); // the default (auto) interval the snapshot runs used
    o.put("dataParallel", dataParallel);
    o.put("failureRunSnapshots", dataParallel == 1);
    o.put("snapshotBlockingMs", round(blocking));
    o.put("checkpointEvery", every);
    o.put("killedAfterStep", killAt);
    o.put("restoredStep", fail.restoredStep);
    o.put("workers", devices);
    o.put("model", model);
    o.put("schedule", schedule);
    com.fasterxml.jackson.databind.node.ObjectNode perRun = o.putObject("runMedianMs");
    runMedians.forEach((variant, ms) -> ms.forEach(v -> perRun.withArray(variant).add(round(v))));
    out.println(o);
    out.flush();
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  private JobSpec job(String name, int k, Path dir) {
    return JobSpec.newBuilder().setJobId("bench-recovery-" + name + "-" + Long.toHexString(System.nanoTime()))
        .setBackend("cpu").setModel(model).setSchedule(schedule).setDevices(devices).setMicrobatches(microbatches)
        .setMicrobatchSize(microbatchSize).setSteps(steps).setSeed(7).setLearningRate(0.003).setClipNorm(1.0)
        .setDataset("corpus").setOptimizer("adamw").setStepTimeoutS(120)
        .setCheckpointDir(k > 0 ? dir.resolve(name).toString() : "").setCheckpointEvery(k).setDataParallel(dataParallel)
        .build();
  }

  private static JobSpec noSnapshots(JobSpec job) {
    return job.toBuilder().setSnapshotEvery(-1).build();
  }

  private Timeline run(ClusterNode node, WorkerProcesses workers, JobSpec job, boolean kill) {
    Timeline t = new Timeline();
    JobEvent end = node.run(job, devices, Duration.ofMinutes(10), e -> {
      long now = System.nanoTime();
      if (e instanceof JobEvent.StepCompleted s) {
        synchronized (t.steps) {
          t.steps.add(new double[] {s.step(), s.stepMillis(), t.attempt});
        }
        if (t.killNanos != 0 && t.firstResumedNanos == 0 && s.step() > t.lastStepBeforeKill) {
          t.firstResumedNanos = now;
        }
        if (t.attempt > 0 && t.firstAfterRestoreNanos == 0) {
          t.firstAfterRestoreNanos = now;
        }
        if (t.attempt == 0) {
          t.doneBeforeRestore = Math.max(t.doneBeforeRestore, s.step() + 1);
        }
        if (kill && t.killNanos == 0 && s.step() == killAt) {
          t.lastStepBeforeKill = s.step();
          t.killNanos = System.nanoTime();
          workers.kill(devices - 1);
        }
      } else if (e instanceof JobEvent.Progress p) {
        t.firstOf.putIfAbsent(p.kind(), now);
        if (p.kind().equals("checkpoint") && !t.firstOf.containsKey("blocking")) {
          java.util.regex.Matcher m = java.util.regex.Pattern.compile("blocked compute ([0-9.]+) ms").matcher(p.message());
          if (m.find()) {
            t.firstOf.put("blocking", (long) (Double.parseDouble(m.group(1)) * 1e3));
          }
        }
        if (p.kind().equals("snapshot-interval")) {
          java.util.regex.Matcher m = java.util.regex.Pattern.compile("every (\\d+) step").matcher(p.message());
          t.snapshotEvery = m.find() ? Integer.parseInt(m.group(1)) : t.snapshotEvery;
        }
        if (p.kind().equals("rerouted")) {
          t.rerouted = true;
        }
        if (p.kind().equals("restored")) {
          t.attempt = 1;
          java.util.regex.Matcher m = java.util.regex.Pattern.compile("restored step (\\d+)").matcher(p.message());
          t.restoredStep = m.find() ? Long.parseLong(m.group(1)) : 0;
          t.fromMemory = p.message().contains("from peer memory");
        }
      }
    });
    if (!(end instanceof JobEvent.JobSucceeded)) {
      throw new UserException("bench job " + job.getJobId() + " failed: " + end);
    }
    return t;
  }

  private static double s(Timeline t, String to, String from) {
    return (t.firstOf.get(to) - t.firstOf.get(from)) / 1e9;
  }

  private static double s(Timeline t, String to, long fromNanos) {
    return (t.firstOf.get(to) - fromNanos) / 1e9;
  }

  /**
   * The median over rounds of each round's {@code variant} run median over its {@code base} run
   * median: the runs of one round are minutes apart at most, so a drift of the machine's speed
   * over the whole bench (warming JITs) cancels out, which pooling every step does not.
   */
  private static double pairedRatio(Map<String, List<Double>> medians, String variant, String base) {
    List<Double> v = medians.getOrDefault(variant, List.of());
    List<Double> b = medians.getOrDefault(base, List.of());
    List<Double> ratios = new ArrayList<>();
    for (int r = 0; r < Math.min(v.size(), b.size()); r++) {
      ratios.add(v.get(r) / b.get(r));
    }
    return median(ratios);
  }

  /** Notes the median of one run's {@code stepMs} under {@code variant}; returns them. */
  private static List<Double> runMedian(Map<String, List<Double>> medians, String variant, List<Double> stepMs) {
    medians.computeIfAbsent(variant, v -> new ArrayList<>()).add(median(stepMs));
    return stepMs;
  }

  /** Step times of a run without failures, its first (warm-up) step left out. */
  private static List<Double> stepTimes(Timeline t) {
    List<Double> ms = new ArrayList<>();
    synchronized (t.steps) {
      for (double[] s : t.steps) {
        if (s[0] >= 1) {
          ms.add(s[1]);
        }
      }
    }
    return ms;
  }

  /** Median step time of attempt-0 steps in [from, to). */
  private static double median(Timeline t, int from, int to) {
    List<Double> ms = new ArrayList<>();
    synchronized (t.steps) {
      for (double[] s : t.steps) {
        if (s[2] == 0 && s[0] >= from && s[0] < to) {
          ms.add(s[1]);
        }
      }
    }
    return median(ms);
  }

  /** Median step time of an attempt's steps, its first (warm-up) step left out. */
  private static double medianAttempt(Timeline t, int attempt) {
    List<Double> ms = new ArrayList<>();
    synchronized (t.steps) {
      for (double[] s : t.steps) {
        if (s[2] == attempt) {
          ms.add(s[1]);
        }
      }
    }
    return median(ms.subList(Math.min(1, ms.size()), ms.size()));
  }

  private static double median(List<Double> values) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2);
  }

}
