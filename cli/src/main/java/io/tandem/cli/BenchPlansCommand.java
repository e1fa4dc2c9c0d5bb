package io.tandem.cli;

import io.tandem.actors.JobEvent;
import io.tandem.actors.JobFactory;
import io.tandem.actors.JobSpecs;
import io.tandem.planner.AllReduceFile;
import io.tandem.planner.ClusterSpec;
import io.tandem.proto.JobSpec;
import io.tandem.schedule.Schedule;
import io.tandem.schedule.Simulator;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tandem bench plans}: the planner's step-time prediction next to the measured step time
 * for data x pipeline plans on the sim backend across worker processes (one JVM per device on
 * loopback). For every split {@code devices = D x p} and schedule, a sim job whose devices each
 * hold {@code gradient-mb / p} MB of gradients runs with D replicas; the prediction is what the
 * planner's evaluator adds up: the schedule's simulated makespan at {@code op-ms} per unit of cost,
 * plus one all-reduce of the device's gradients over D replicas ({@link ClusterSpec#allReduceMs},
 * at the link's speed or as learned from {@code bench allreduce} with {@code --allreduce}).
 */
@Command(name = "plans", mixinStandardHelpOptions = true,
    description = "Planner vs reality: predicted vs measured step time of data x pipeline plans (sim backend, worker JVMs).")
public final class BenchPlansCommand implements Callable<Integer> {
  @Option(names = "--devices", defaultValue = "4", description = "devices = worker JVMs (default: ${DEFAULT-VALUE})")
  int devices;

  @Option(names = "--microbatches", defaultValue = "16", description = "microbatches per step, all replicas (default: ${DEFAULT-VALUE})")
  int microbatches;

  @Option(names = "--schedules", split = ",", defaultValue = "1f1b,zb-h1", description = "schedules (default: ${DEFAULT-VALUE})")
  List<String> schedules;

  @Option(names = "--op-ms", defaultValue = "5", description = "milliseconds per unit op cost (default: ${DEFAULT-VALUE})")
  double opMs;

  @Option(names = "--gradient-mb", defaultValue = "64", description = "the model's gradients in MiB, split over a replica's devices (default: ${DEFAULT-VALUE})")
  double gradientMb;

  @Option(names = "--allreduce", paramLabel = "FILE", description = "all-reduce cost learned from 'tandem bench allreduce --json' (default: a ring at 10 GB/s)")
  Path allReduceFile;

  @Option(names = "--steps", defaultValue = "5", description = "steps timed after the warm-up (default: ${DEFAULT-VALUE})")
  int steps;

  @Option(names = "--warmup", defaultValue = "15", description = "untimed steps first (default: ${DEFAULT-VALUE})")
  int warmup;

  @Option(names = "--json", description = "one JSON object per plan")
  boolean json;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    if (devices < 1 || microbatches < 1 || steps < 1 || warmup < 0 || !(opMs > 0) || !(gradientMb >= 0)) {
      throw new IllegalArgumentException("--devices, --microbatches and --steps must be >= 1, --warmup >= 0,"
          + " --op-ms > 0 and --gradient-mb >= 0");
    }
    ClusterSpec cluster = ClusterSpec.uniform(devices, 1L << 40);
    if (allReduceFile != null) {
      cluster = cluster.withAllReduce(AllReduceFile.read(allReduceFile));
    }
    PrintWriter out = spec.commandLine().getOut();
    if (!json) {
      out.printf(Locale.ROOT, "sim backend, %d worker JVMs, %d microbatches, op %.1f ms, gradients %.0f MB, %s%n",
          devices, microbatches, opMs, gradientMb, cluster.allReduce() != null ? cluster.allReduce().describe()
              : "all-reduce: a ring at the 10 GB/s default link");
      out.println("replicas  depth  schedule   predicted ms  (all-reduce ms)  measured ms  measured/predicted");
    }
    for (int d = 1; d <= devices; d++) {
      if (devices % d != 0 || microbatches % d != 0) {
        continue;
      }
      int depth = devices / d;
      for (String schedule : schedules) {
        long bytesPerDevice = Math.round(gradientMb * (1 << 20) / depth);
        JobSpec job = job(schedule, d, bytesPerDevice);
        try {
          JobSpecs.check(job);
        } catch (RuntimeException e) {
          out.printf(Locale.ROOT, "%8d  %5d  %-9s  refused: %s%n", d, depth, schedule, e.getMessage());
          continue;
        }
        Schedule s = JobFactory.schedule(job);
        double allReduceMs = cluster.allReduceMs(bytesPerDevice, d);
        double predicted = Simulator.simulate(s).makespan() * opMs + allReduceMs;
        double measured = measure(job);
        if (json) {
          out.printf(Locale.ROOT, "{\"replicas\":%d,\"depth\":%d,\"schedule\":\"%s\",\"opMs\":%s,\"gradientMB\":%s,"
                  + "\"predictedMs\":%.3f,\"allReduceMs\":%.3f,\"measuredMs\":%.3f,\"ratio\":%.4f}%n", d, depth, schedule,
              opMs, gradientMb, predicted, allReduceMs, measured, measured / predicted);
        } else {
          out.printf(Locale.ROOT, "%8d  %5d  %-9s  %12.1f  %15.1f  %11.1f  %18.3f%n", d, depth, schedule, predicted,
              allReduceMs, measured, measured / predicted);
        }
        out.flush();
      }
    }
    return 0;
  }

  private JobSpec job(String schedule, int replicas, long bytesPerDevice) {
    return JobSpec.newBuilder().setJobId("bench-plans-" + Long.toHexString(System.nanoTime())).setBackend("sim")
        .setSchedule(schedule).setDevices(devices).setDataParallel(replicas).setMicrobatches(microbatches)
        .setSteps(warmup + steps).setOpMs(opMs).setSimGradientBytes(bytesPerDevice).setStepTimeoutS(300).build();
  }

  /** Median step time of the timed steps across worker processes. */
  private double measure(JobSpec job) {
    List<Double> times = new ArrayList<>();
    JobEvent end = ProcessesRuntime.run(job, Duration.ofMinutes(10), e -> {
      if (e instanceof JobEvent.StepCompleted c && c.step() >= warmup) {
        synchronized (times) {
          times.add(c.stepMillis());
        }
      }
    });
    if (end instanceof JobEvent.JobFailed f) {
      throw new IllegalStateException("benchmark job failed: " + f.message());
    }
    List<Double> sorted = new ArrayList<>(times);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }
}
