package io.tandem.cli;

import io.tandem.proto.JobSpec;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tandem train}: one JVM, N devices, one stage worker per device (the in-JVM runtime,
 * {@link io.tandem.actors.cluster.InJvmRuntime}), or a cluster with {@code --cluster}. Shows a progress bar
 * and ends with the line {@code final step=S loss=X weights-sha256=HEX}.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Train a model with pipeline parallelism on devices in this JVM.")
public final class TrainCommand implements Callable<Integer> {

  @Mixin JobOptions job;

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

  @Override
  public Integer call() {
    TrainingRun run;
    JobSpec jobSpec = job.resume == null ? job.jobSpec("train")
        : Resume.spec(job.resume, job.jobSpec("train"), this.spec.commandLine().getParseResult(), false);
    OutputPaths.checkFile(trace, "--trace");
    if (!cluster) {
      OutputPaths.checkDirectory(job.checkpointDir, "--checkpoint-dir");
    }
    int devices = jobSpec.getDevices();
    if (cluster) {
      List<String> seedList = ClusterOptions.seeds(seeds);
      if (seedList.isEmpty()) {
        throw new IllegalArgumentException("--cluster needs --seeds host:port (e.g. of 'tandem coordinator')");
      }
      run = TrainingRun.startOnCluster(jobSpec, bind, seedList, minNodes > 0 ? minNodes : devices,
          Duration.ofSeconds(job.stepTimeoutSeconds), this.spec.commandLine().getErr());
    } else {
      run = TrainingRun.start(jobSpec, Duration.ofSeconds(job.stepTimeoutSeconds), this.spec.commandLine().getErr());
    }
    return run.finish(this.spec.commandLine().getOut(), this.spec.commandLine().getErr(), trace);
  }

  static String formatUnits(double[] units) {
    return Arrays.stream(units).mapToObj(u -> String.format(Locale.ROOT, "%.1f", u))
        .collect(Collectors.joining(" ", "[", "]"));
  }
}
