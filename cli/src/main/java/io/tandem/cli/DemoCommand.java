package io.tandem.cli;

import io.tandem.actors.JobEvent;
import io.tandem.proto.JobSpec;
import io.tandem.schedule.Simulator;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tandem demo}: the main job on the embedded default. Trains {@code gpt-mini} on the
 * europarl corpus with the V-Half schedule over 4 CPU devices in this JVM, then prints a summary
 * (loss, throughput, peak activations measured next to the simulator's prediction).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Train gpt-mini on 4 embedded CPU devices with the v-half schedule, then summarize.")
public final class DemoCommand implements Callable<Integer> {

  @Option(names = "--steps", defaultValue = "40", description = "optimizer steps (default: ${DEFAULT-VALUE})")
  int steps;

  @Option(names = "--schedule", defaultValue = "v-half", description = "schedule (default: ${DEFAULT-VALUE})")
  String schedule;

  @Option(names = "--model", defaultValue = "gpt-mini", description = "model preset (default: ${DEFAULT-VALUE})")
  String model;

  @Option(names = "--trace", defaultValue = "tandem-demo-trace.json", description = "trace file (default: ${DEFAULT-VALUE})")
  Path trace;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    JobSpec job = JobSpec.newBuilder().setJobId("demo-" + Long.toHexString(System.nanoTime()))
        .setBackend("cpu").setDevices(4).setSchedule(schedule).setModel(model).setSteps(steps).setSeed(1)
        .setMicrobatches(8).setMicrobatchSize(2).setLearningRate(0.002).setClipNorm(1.0)
        .setOptimizer("adamw").setDataset("corpus").build();
    TrainingRun run = TrainingRun.start(job, job.getClipNorm(), Duration.ofMinutes(5), err, null);
    if (run.succeeded()) {
      summarize(out, run);
    }
    return run.finish(out, err, trace);
  }

  private static void summarize(PrintWriter out, TrainingRun run) {
    List<Double> losses = run.losses();
    JobEvent.StepCompleted last = run.lastStep();
    double[] predicted = Simulator.simulate(run.schedule()).peakActivation();
    out.println();
    out.printf(Locale.ROOT, "schedule %s on %d devices, %d microbatches per step%n",
        run.schedule().name(), run.schedule().devices(), run.schedule().microbatches());
    out.printf(Locale.ROOT, "loss: %.4f at step 1 -> %.4f at step %d%n", losses.get(0),
        losses.get(losses.size() - 1), losses.size());
    out.printf(Locale.ROOT, "throughput: %.0f tokens/s (steps 2..%d)%n", run.tokensPerSecond(), losses.size());
    out.println("device  peak activation (measured)  simulator  activation MiB");
    for (int d = 0; d < predicted.length; d++) {
      out.printf(Locale.ROOT, "%6d  %26.2f  %9.2f  %14.2f%n", d, last.peakActivationUnits()[d], predicted[d],
          last.peakActivationBytes()[d] / (1024.0 * 1024.0));
    }
    out.flush();
  }
}
