package io.tandem.cli;

import io.tandem.actors.JobConfig;
import io.tandem.actors.JobEvent;
import io.tandem.actors.JobFactory;
import io.tandem.actors.LocalRuntime;
import io.tandem.actors.cluster.ClusterNode;
import io.tandem.proto.JobSpec;
import io.tandem.schedule.Schedule;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tandem bench chaos}: a loopback cluster (this JVM coordinates, one worker JVM per
 * device) runs one long job while seeded random faults hit its workers (SIGKILL and a restart,
 * a short or a long SIGSTOP, a graceful restart), one at a time and only while the job runs with
 * enough workers left to survive the next; then compares the job's final weights with an
 * uninterrupted run of the same spec in this JVM.
 */
@Command(name = "chaos", mixinStandardHelpOptions = true,
    description = "Inject seeded random worker faults into a long job on a loopback cluster; compare its weights with"
        + " an uninterrupted run.")
public final class BenchChaosCommand implements Callable<Integer> {

  @Option(names = "--minutes", defaultValue = "15", description = "how long faults are injected (default: ${DEFAULT-VALUE})")
  double minutes;

  @Option(names = "--seed", defaultValue = "1", description = "seeds the faults' kinds, targets and times (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--workers", defaultValue = "4", description = "worker JVMs, one device each (default: ${DEFAULT-VALUE})")
  int workers;

  @Option(names = "--model", defaultValue = "gpt-tiny", description = "model (default: ${DEFAULT-VALUE})")
  String model;

  @Option(names = "--schedule", defaultValue = "1f1b", description = "schedule (default: ${DEFAULT-VALUE})")
  String schedule;

  @Option(names = "--gap", defaultValue = "10:30", description = "seconds between faults, MIN:MAX (default: ${DEFAULT-VALUE})")
  String gap;

  @Option(names = "--data-parallel", defaultValue = "1", description = "data-parallel replicas of the job (must divide"
      + " --workers and 8 microbatches; default: ${DEFAULT-VALUE})")
  int dataParallel;

  @Option(names = "--json", description = "print one JSON object instead of the lines")
  boolean json;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  /** Steps of the calibration job; the median of its second half is the undisturbed step time. */
  private static final int CALIBRATION_STEPS = 60;
  /** The job's steps: this many times the fault window over the calibrated step time. */
  private static final double STEPS_MARGIN = 1.25;

  @Override
  public Integer call() throws IOException, InterruptedException {
    if (minutes <= 0 || workers < 3) {
      throw new IllegalArgumentException("--minutes must be > 0 and --workers >= 3 (a fault must leave two), got "
          + minutes + " and " + workers);
    }
    if (dataParallel < 1 || workers % dataParallel != 0 || 8 % dataParallel != 0) {
      throw new IllegalArgumentException("--data-parallel must be >= 1 and divide --workers " + workers
          + " and the job's 8 microbatches, got " + dataParallel);
    }
    String[] g = gap.split(":");
    if (g.length != 2) {
      throw new IllegalArgumentException("--gap must be MIN:MAX seconds, got '" + gap + "'");
    }
    double gapMin;
    double gapMax;
    try {
      gapMin = Double.parseDouble(g[0]);
      gapMax = Double.parseDouble(g[1]);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--gap must be MIN:MAX seconds, got '" + gap + "'");
    }
    if (gapMin < 1 || gapMax < gapMin) {
      throw new IllegalArgumentException("--gap must be MIN:MAX with 1 <= MIN <= MAX, got '" + gap + "'");
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Path dir = Files.createTempDirectory("tandem-bench-chaos");
    try (ClusterNode node = ClusterNode.start("127.0.0.1", 0, List.of(), List.of("coordinator"), 0);
         ChaosWorkers slots = new ChaosWorkers(workers, List.of("worker", "--seeds", "127.0.0.1:" + node.port(),
             "--watch-pid", Long.toString(ProcessHandle.current().pid())), dir.resolve("logs"))) {
      JobSpec calibration = job("calibrate", CALIBRATION_STEPS, dir);
      List<Double> ms = new ArrayList<>();
      JobEvent c = node.run(calibration, workers, Duration.ofMinutes(5), e -> {
        if (e instanceof JobEvent.StepCompleted s && s.step() >= CALIBRATION_STEPS / 2) { // warm steps only
          synchronized (ms) {
            ms.add(s.stepMillis());
          }
        }
      });
      if (!(c instanceof JobEvent.JobSucceeded)) {
        throw new UserException("calibration job failed: " + c);
      }
      double stepMs = median(ms);
      // a margin: warm steps get faster than the calibration's, and the job must outlast the faults' window
      long steps = Math.max(50, (long) (STEPS_MARGIN * minutes * 60_000 / stepMs));
      JobSpec job = job("run", steps, dir);
      err.printf(Locale.ROOT, "chaos: %d steps of %s/%s on %d workers (%.0f ms/step undisturbed), faults for %.1f min,"
          + " seed %d%n", steps, model, schedule, workers, stepMs, minutes, seed);
      err.flush();
      ChaosMonkey monkey = new ChaosMonkey(slots, new java.util.Random(seed), gapMin, gapMax,
          (long) (minutes * 60_000), err);
      long t0 = System.nanoTime();
      CompletableFuture<JobEvent> end = node.submit(job, workers, monkey::observe);
      Thread faults = new Thread(() -> monkey.run(end), "chaos-monkey");
      faults.setDaemon(true);
      faults.start();
      JobEvent last = end.join();
      faults.interrupt();
      faults.join(60_000);
      double wallS = (System.nanoTime() - t0) / 1e9;
      if (!(last instanceof JobEvent.JobSucceeded ok)) {
        throw new UserException("the chaos job failed after " + monkey.injected() + " fault(s): " + last);
      }
      err.println("chaos: job done; running the uninterrupted reference in this JVM");
      err.flush();
      String reference = reference(job);
      boolean equal = reference.equals(ok.weightsSha256());
      print(out, monkey, steps, stepMs, wallS, ok.weightsSha256(), reference, equal);
      return equal ? 0 : 1;
    }
  }

  private void print(PrintWriter out, ChaosMonkey monkey, long steps, double stepMs, double wallS, String sha,
      String reference, boolean equal) {
    List<Double> resumed = monkey.faultToResumedSeconds();
    double lostS = resumed.stream().mapToDouble(d -> d).sum();
    double resumedMedianS = resumed.isEmpty() ? 0.0 : median(resumed);
    double resumedMaxS = resumed.stream().mapToDouble(d -> d).max().orElse(0);
    if (json) {
      com.fasterxml.jackson.databind.node.ObjectNode o = new com.fasterxml.jackson.databind.ObjectMapper()
          .createObjectNode();
      o.put("minutes", minutes);
      o.put("seed", seed);
      o.put("workers", workers);
      o.put("model", model);
      o.put("schedule", schedule);
      o.put("dataParallel", dataParallel);
      o.put("steps", steps);
      o.put("faultsInjected", monkey.injected());
      com.fasterxml.jackson.databind.node.ObjectNode kinds = o.putObject("faults");
      monkey.byKind().forEach(kinds::put);
      o.put("recoveries", monkey.recoveries());
      o.put("restoredFromMemory", monkey.fromMemory());
      o.put("wallSeconds", Math.round(wallS * 10) / 10.0);
      o.put("undisturbedStepMs", Math.round(stepMs * 10) / 10.0);
      o.put("timeLostSeconds", Math.round(lostS * 10) / 10.0);
      o.put("faultToResumedMedianSeconds", Math.round(resumedMedianS * 10) / 10.0);
      o.put("faultToResumedMaxSeconds", Math.round(resumedMaxS * 10) / 10.0);
      o.put("weightsEqual", equal);
      o.put("weightsSha256", sha);
      o.put("referenceSha256", reference);
      out.println(o);
    } else {
      out.printf(Locale.ROOT, "%d fault(s) injected %s, %d recoveries (%d from peer memory), %d steps in %.0f s"
          + " (%.0f s from faults to the first steps after their recoveries, %.0f ms/step undisturbed);"
          + " fault to next step: median %.1f s, max %.1f s%n",
          monkey.injected(), monkey.byKind(), monkey.recoveries(), monkey.fromMemory(), steps, wallS, lostS, stepMs,
          resumedMedianS, resumedMaxS);
      out.printf(Locale.ROOT, "weights %s the uninterrupted run: %s%n", equal ? "equal" : "DIFFER from", sha);
    }
    out.flush();
  }

  private JobSpec job(String name, long steps, Path dir) {
    String id = "chaos-" + name + "-" + Long.toHexString(System.nanoTime());
    return JobSpec.newBuilder().setJobId(id).setBackend("cpu").setModel(model).setSchedule(schedule)
        .setDevices(workers).setMicrobatches(8).setMicrobatchSize(2).setSteps(Math.toIntExact(steps)).setSeed(seed)
        .setLearningRate(0.003).setClipNorm(1.0).setDataset("corpus").setOptimizer("adamw").setStepTimeoutS(120)
        .setCheckpointDir(dir.resolve(id).toString()).setCheckpointEvery(20).setKeepCheckpoints(2)
        .setDataParallel(dataParallel).build();
  }

  /** The final weights' hash of {@code job} run uninterrupted in this JVM (same math, no faults). */
  private static String reference(JobSpec job) {
    Schedule s = JobFactory.schedule(job);
    JobEvent end = LocalRuntime.run(new JobConfig(job.getJobId() + "-reference", s, job.getSteps(),
        job.getClipNorm(), Duration.ofSeconds(120)), io.tandem.actors.JobSpecs.dataParallel(job),
        JobFactory.provider(job, s), e -> { });
    if (!(end instanceof JobEvent.JobSucceeded ok)) {
      throw new UserException("the uninterrupted reference run failed: " + end);
    }
    return ok.weightsSha256();
  }

  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() / 2);
  }

  /** Counts of the faults injected, by kind. */
  static Map<String, Integer> countsOf(List<String> kinds) {
    Map<String, Integer> m = new TreeMap<>();
    kinds.forEach(k -> m.merge(k, 1, Integer::sum));
    return m;
  }
}
