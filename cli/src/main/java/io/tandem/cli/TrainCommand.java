package io.tandem.cli;

import io.tandem.proto.JobSpec;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tandem train}: one JVM, N devices, one stage worker per device. Shows a progress bar
 * and ends with the line {@code final step=S loss=X weights-sha256=HEX}.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Train a model with pipeline parallelism on devices in this JVM.")
public final class TrainCommand implements Callable<Integer> {

  @Option(names = "--backend", defaultValue = "cpu", description = "cpu, cuda or sim (default: ${DEFAULT-VALUE})")
  String backend;

  @Option(names = "--devices", defaultValue = "4", description = "pipeline devices (default: ${DEFAULT-VALUE})")
  int devices;

  @Option(names = "--schedule", defaultValue = "1f1b", description = "schedule name, see 'tandem schedule list' (default: ${DEFAULT-VALUE})")
  String schedule;

  @Option(names = "--model", defaultValue = "gpt-tiny", description = "model preset (default: ${DEFAULT-VALUE})")
  String model;

  @Option(names = "--steps", defaultValue = "20", description = "optimizer steps (default: ${DEFAULT-VALUE})")
  int steps;

  @Option(names = "--seed", defaultValue = "1", description = "seed of init, data and dropout (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--microbatches", defaultValue = "8", description = "microbatches per step (default: ${DEFAULT-VALUE})")
  int microbatches;

  @Option(names = "--microbatch-size", defaultValue = "4", description = "sequences per microbatch (default: ${DEFAULT-VALUE})")
  int microbatchSize;

  @Option(names = "--lr", defaultValue = "0.003", description = "learning rate (default: ${DEFAULT-VALUE})")
  double lr;

  @Option(names = "--optimizer", defaultValue = "adamw", description = "adamw or sgd (default: ${DEFAULT-VALUE})")
  String optimizer;

  @Option(names = "--clip", defaultValue = "1.0", description = "global gradient-norm clip, 0 = off (default: ${DEFAULT-VALUE})")
  double clip;

  @Option(names = "--dataset", defaultValue = "corpus", description = "corpus (byte-level europarl) or addition (default: ${DEFAULT-VALUE})")
  String dataset;

  @Option(names = "--memory-limit", defaultValue = "0", description = "peak-activation limit for the auto schedule")
  double memoryLimit;

  @Option(names = "--op-ms", defaultValue = "20", description = "sim backend: milliseconds per unit op cost (default: ${DEFAULT-VALUE})")
  double opMs;

  @Option(names = "--step-timeout", defaultValue = "120", description = "seconds a step may take (default: ${DEFAULT-VALUE})")
  long stepTimeoutSeconds;

  @Option(names = "--trace", description = "write the executed ops of the last step as Chrome-trace JSON")
  java.nio.file.Path trace;

  @Option(names = "--cluster", description = "run on a cluster (tandem coordinator + tandem worker members) instead of this JVM")
  boolean cluster;

  @Option(names = "--seeds", description = "with --cluster: host:port[,..] of cluster members to join (e.g. the coordinator)")
  String seeds;

  @Option(names = "--min-nodes", defaultValue = "0", description = "with --cluster: worker nodes to wait for (default: --devices)")
  int minNodes;

  @Option(names = "--bind", defaultValue = "127.0.0.1", description = "with --cluster: host this client binds (default: ${DEFAULT-VALUE})")
  String bind;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  JobSpec jobSpec() {
    return JobSpec.newBuilder()
        .setJobId("train-" + Long.toHexString(System.nanoTime()))
        .setBackend(backend.toLowerCase(Locale.ROOT))
        .setDevices(devices)
        .setSchedule(schedule)
        .setModel(model)
        .setSteps(steps)
        .setSeed(seed)
        .setMicrobatches(microbatches)
        .setMicrobatchSize(microbatchSize)
        .setLearningRate(lr)
        .setOptimizer(optimizer)
        .setClipNorm(clip)
        .setDataset(dataset)
        .setMemoryLimit(memoryLimit)
        .setOpMs(opMs)
        .setStepTimeoutS(stepTimeoutSeconds)
        .build();
  }

  @Override
  public Integer call() {
    TrainingRun run;
    if (cluster) {
      List<String> seedList = ClusterOptions.seeds(seeds);
      if (seedList.isEmpty()) {
        throw new IllegalArgumentException("--cluster needs --seeds host:port (e.g. of 'tandem coordinator')");
      }
      run = TrainingRun.startOnCluster(jobSpec(), bind, seedList, minNodes > 0 ? minNodes : devices,
          Duration.ofSeconds(stepTimeoutSeconds), spec.commandLine().getErr());
    } else {
      run = TrainingRun.start(jobSpec(), clip, Duration.ofSeconds(stepTimeoutSeconds), spec.commandLine().getErr());
    }
    return run.finish(spec.commandLine().getOut(), spec.commandLine().getErr(), trace);
  }

  static String formatUnits(double[] units) {
    return Arrays.stream(units).mapToObj(u -> String.format(Locale.ROOT, "%.1f", u))
        .collect(Collectors.joining(" ", "[", "]"));
  }
}
