package io.tandem.cli;

import io.tandem.actors.JobEvent;
import io.tandem.actors.JobSpecs;
import io.tandem.actors.worker.Partition;
import io.tandem.model.GptSpec;
import io.tandem.model.ModelSpec;
import io.tandem.schedule.Schedule;
import io.tandem.proto.JobSpec;
import io.tandem.schedule.Simulator;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;
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

  @Option(names = "--model", defaultValue = "gpt-mini", description = "model preset or shape (see 'tandem train --help'; default: ${DEFAULT-VALUE})")
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
        .setMicrobatches(8).setMicrobatchSize(2).setLearningRate(0.0015).setClipNorm(1.0)
        .setOptimizer("adamw").setDataset("corpus").setStepTimeoutS(300).build();
    JobSpec checked = JobSpecs.prepare(job);
    OutputPaths.checkFile(trace, "--trace");
    TrainingRun run = TrainingRun.start(checked, Duration.ofMinutes(5), err);
    if (run.succeeded()) {
      summarize(out, run, CliModels.parse(model));
    }
    return run.finish(out, err, trace);
  }

  /**
   * Per device: peak activation in schedule units (measured and simulated), measured MiB and
   * the layers the device's chunks hold, then what the units are and why the MiB differ.
   */
  static String peakTable(double[] units, double[] predicted, long[] bytes, Schedule schedule, ModelSpec model) {
    int layers = model.numLayers();
    Partition split = Partition.even(layers, schedule.stages());
    StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%6s  %20s  %15s  %14s  %s%n",
        "device", "measured peak units*", "simulator units", "activation MiB", "layers"));
    for (int d = 0; d < predicted.length; d++) {
      StringJoiner held = new StringJoiner(", ");
      for (int v : schedule.placement().stagesOf(d)) {
        int first = split.first(v);
        int last = split.end(v) - 1;
        held.add(first == last ? Integer.toString(first) : first + "-" + last);
      }
      b.append(String.format(Locale.ROOT, "%6d  %20.2f  %15.2f  %14.2f  %s%n", d, units[d], predicted[d],
          bytes[d] / (1024.0 * 1024.0), held));
    }
    b.append(String.format(Locale.ROOT, "* one unit: one microbatch's activations through 1/%d of the model, every layer"
        + " counted alike (what the schedule controls)%n", schedule.devices()));
    if (model instanceof GptSpec) {
      b.append(String.format(Locale.ROOT, "MiB differ though units match: units count every layer alike, MiB are each"
          + " device's own layers, and transformer blocks stash far more than the embedding (layer 0) and the norm and"
          + " head (layers %d-%d) on the first and last chunks%n", layers - 2, layers - 1));
    }
    return b.toString();
  }

  private static void summarize(PrintWriter out, TrainingRun run, ModelSpec model) {
    List<Double> losses = run.losses();
    JobEvent.StepCompleted last = run.lastStep();
    double[] predicted = Simulator.simulate(run.schedule()).peakActivation();
    out.println();
    out.printf(Locale.ROOT, "schedule %s on %d devices, %d microbatches per step%n",
        run.schedule().name(), run.schedule().devices(), run.schedule().microbatches());
    out.printf(Locale.ROOT, "loss: %.4f at step 1 -> %.4f at step %d%n", losses.get(0),
        losses.get(losses.size() - 1), losses.size());
    out.printf(Locale.ROOT, "throughput: %.0f tokens/s (steps 2..%d)%n", run.tokensPerSecond(), losses.size());
    out.print(peakTable(last.peakActivationUnits(), predicted, last.peakActivationBytes(), run.schedule(), model));
    out.flush();
  }
}
