package io.tandem.cli;

import io.tandem.actors.JobConfig;
import io.tandem.actors.JobEvent;
import io.tandem.actors.JobSpecs;
import io.tandem.actors.LocalRuntime;
import io.tandem.actors.worker.SimComputeProvider;
import io.tandem.proto.JobSpec;
import io.tandem.schedule.OpCosts;
import io.tandem.schedule.Schedule;
import io.tandem.schedule.ScheduleRegistry;
import io.tandem.schedule.ScheduleSpec;
import io.tandem.schedule.Simulator;
import io.tandem.schedule.Validator;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tandem bench runtime}: runs steps on the sim backend and compares the median measured
 * step time with the schedule simulator's makespan for the same costs.
 */
@Command(name = "runtime", mixinStandardHelpOptions = true,
    description = "Measure runtime efficiency on the sim backend: simulated makespan vs measured step time.")
public final class BenchRuntimeCommand implements Callable<Integer> {

  @Option(names = "--mode", defaultValue = "embedded", description = "embedded (one JVM) or processes (one worker JVM per device on loopback) (default: ${DEFAULT-VALUE})")
  String mode;

  @Option(names = "--devices", defaultValue = "4", description = "devices (default: ${DEFAULT-VALUE})")
  int devices;

  @Option(names = "--microbatches", defaultValue = "16", description = "microbatches (default: ${DEFAULT-VALUE})")
  int microbatches;

  @Option(names = "--schedule", defaultValue = "1f1b", description = "schedule, or all (default: ${DEFAULT-VALUE})")
  String schedule;

  @Option(names = "--op-ms", defaultValue = "20", description = "milliseconds per unit op cost (default: ${DEFAULT-VALUE})")
  double opMs;

  @Option(names = "--costs", defaultValue = "F=1,B=1,W=1,comm=0", description = "op costs (default: ${DEFAULT-VALUE})")
  String costs;

  @Option(names = "--steps", defaultValue = "5", description = "steps to time, after the warm-up (default: ${DEFAULT-VALUE})")
  int steps;

  @Option(names = "--warmup", description = "untimed steps first (default: 1 embedded, 20 processes: five cold JVMs"
      + " share the cores with their JIT compilers for the first tens of steps)")
  Integer warmup;

  private int warmupSteps() {
    return warmup != null ? warmup : mode.equals("processes") ? 20 : 1;
  }

  @Option(names = "--json", description = "print one JSON object")
  boolean json;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  /** One schedule's measurement. */
  /** Mean microseconds per part of a hop, over every tensor of the timed steps. */
  record HopBreakdown(long hops, double computeToActor, double actorToWriter, double wire, double readerToActor,
      double actorToCompute) {
    static HopBreakdown of(List<io.tandem.proto.HopStats> all) {
      long n = 0;
      long handoffs = 0;
      double[] sums = new double[5];
      for (io.tandem.proto.HopStats h : all) {
        n += h.getHops();
        handoffs += h.getHandoffs();
        sums[0] += h.getComputeToActorUs();
        sums[1] += h.getActorToWriterUs();
        sums[2] += h.getWireUs();
        sums[3] += h.getReaderToActorUs();
        sums[4] += h.getActorToComputeUs();
      }
      double per = Math.max(1, n);
      return new HopBreakdown(n, sums[0] / per, sums[1] / per, sums[2] / per, sums[3] / per,
          sums[4] / Math.max(1, handoffs));
    }

    double total() {
      return computeToActor + actorToWriter + wire + readerToActor + actorToCompute;
    }

    String json() {
      return String.format(Locale.ROOT, "{\"hops\":%d,\"computeToActor\":%.1f,\"actorToWriter\":%.1f,\"wire\":%.1f,"
          + "\"readerToActor\":%.1f,\"actorToCompute\":%.1f,\"total\":%.1f}", hops, computeToActor, actorToWriter,
          wire, readerToActor, actorToCompute, total());
    }

    String text() {
      return String.format(Locale.ROOT, "per hop (mean us over %d tensors): compute->actor %.0f, actor->writer %.0f, "
          + "wire %.0f, reader->actor %.0f, actor->compute %.0f; total %.0f", hops, computeToActor, actorToWriter, wire,
          readerToActor, actorToCompute, total());
    }
  }

  record Result(String schedule, double simulatedMs, double measuredMs, double[] measuredPeak, double[] simulatedPeak,
      HopBreakdown hops) {
    double efficiency() {
      return simulatedMs / measuredMs;
    }

    double maxPeak() {
      return java.util.Arrays.stream(measuredPeak).max().orElse(0);
    }
  }

  @Override
  public Integer call() {
    if (!mode.equals("embedded") && !mode.equals("processes")) {
      throw new IllegalArgumentException("--mode must be embedded or processes, got '" + mode + "'");
    }
    if (mode.equals("processes") && !OpCosts.parse(costs).equals(OpCosts.UNIT)) {
      throw new IllegalArgumentException("--mode processes runs unit costs only (F=1,B=1,W=1,comm=0)");
    }
    if (steps < 1) {
      throw new IllegalArgumentException("--steps must be >= 1, got " + steps);
    }
    if (warmupSteps() < 0) {
      throw new IllegalArgumentException("--warmup must be >= 0, got " + warmupSteps());
    }
    PrintWriter out = spec.commandLine().getOut();
    if (!schedule.equalsIgnoreCase("all")) {
      Result r = measure(schedule);
      if (json) {
        out.printf(Locale.ROOT, "{\"mode\":\"%s\",\"schedule\":\"%s\",\"devices\":%d,\"microbatches\":%d,\"opMs\":%s,"
                + "\"simulatedMs\":%.3f,\"measuredMs\":%.3f,\"efficiency\":%.4f,\"peakActivation\":%s,"
                + "\"hopMicros\":%s}%n",
            mode, r.schedule(), devices, microbatches, opMs, r.simulatedMs(), r.measuredMs(), r.efficiency(),
            java.util.Arrays.toString(r.measuredPeak()).replace(" ", ""), r.hops().json());
      } else {
        out.printf(Locale.ROOT, "%s p=%d m=%d op=%.1f ms: simulated %.1f ms, measured median %.1f ms, efficiency %.3f%n",
            r.schedule(), devices, microbatches, opMs, r.simulatedMs(), r.measuredMs(), r.efficiency());
        out.println(r.hops().text());
      }
      out.flush();
      return 0;
    }
    List<Result> results = new ArrayList<>();
    for (String name : ScheduleRegistry.names()) {
      try {
        results.add(measure(name));
      } catch (IllegalArgumentException e) {
        out.printf(Locale.ROOT, "%-17s refused: %s%n", name, e.getMessage());
      }
    }
    Result base = results.stream().filter(r -> r.schedule().equals("1f1b")).findFirst().orElse(results.get(0));
    out.printf(Locale.ROOT, "p=%d m=%d costs %s, op %.1f ms, median of %d steps after %d warm-up (sim backend, %s)%n",
        devices, microbatches, costs, opMs, steps, warmupSteps(), mode);
    out.println("schedule          simulated ms  measured ms  efficiency  throughput vs 1f1b  peak act (measured)  vs 1f1b");
    for (Result r : results) {
      out.printf(Locale.ROOT, "%-17s %12.1f %12.1f %11.3f %19.3f %20.2f %8.3f%n", r.schedule(), r.simulatedMs(),
          r.measuredMs(), r.efficiency(), base.measuredMs() / r.measuredMs(), r.maxPeak(), r.maxPeak() / base.maxPeak());
    }
    out.flush();
    return 0;
  }

  private Result measure(String name) {
    String jobId = "bench-" + Long.toHexString(System.nanoTime());
    JobSpec job = JobSpec.newBuilder().setJobId(jobId).setDevices(devices).setMicrobatches(microbatches)
        .setSteps(warmupSteps() + steps).setSchedule(name).setBackend("sim").setOpMs(opMs).setStepTimeoutS(300).build();
    JobSpecs.check(job);
    ScheduleSpec s = ScheduleSpec.of(devices, microbatches).withCosts(OpCosts.parse(costs))
        .withChunksPerDevice(name.equalsIgnoreCase("interleaved-1f1b") ? 2 : 1);
    Schedule plan = ScheduleRegistry.generate(name, s);
    Validator.validate(plan);
    io.tandem.schedule.SimulationResult sim = Simulator.simulate(plan);
    List<Double> times = new ArrayList<>();
    double[][] peak = new double[1][];
    List<io.tandem.proto.HopStats> hopStats = new ArrayList<>();
    java.util.function.Consumer<JobEvent> onEvent = e -> {
      if (e instanceof JobEvent.StepCompleted c && c.step() >= warmupSteps()) {
        synchronized (times) {
          times.add(c.stepMillis());
          peak[0] = c.peakActivationUnits();
          c.reports().forEach(r -> hopStats.add(r.getHops()));
        }
      }
    };
    JobEvent end = mode.equals("processes")
        ? ProcessesRuntime.run(job, Duration.ofMinutes(10), onEvent)
        : LocalRuntime.run(new JobConfig(jobId, plan, warmupSteps() + steps, 0, Duration.ofMinutes(5)),
            new SimComputeProvider(null, opMs), onEvent);
    if (end instanceof JobEvent.JobFailed f) {
      throw new IllegalStateException("benchmark job failed: " + f.message());
    }
    List<Double> sorted = new ArrayList<>(times);
    Collections.sort(sorted);
    return new Result(plan.name(), sim.makespan() * opMs, sorted.get(sorted.size() / 2), peak[0], sim.peakActivation(),
        HopBreakdown.of(hopStats));
  }
}
