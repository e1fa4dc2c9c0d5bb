package io.tandem.cli;

import io.tandem.actors.InvalidJobSpecException;
import io.tandem.actors.JobSpecs;
import io.tandem.proto.JobSpec;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Option;

/** The job options {@code train} and {@code submit} share (a picocli mixin). */
final class JobOptions {
  @Option(names = "--backend", defaultValue = "cpu", description = "cpu, cuda or sim (default: ${DEFAULT-VALUE})")
  String backend;

  @Option(names = "--devices", defaultValue = "4", description = "devices in all: data-parallel replicas x pipeline"
      + " depth (default: ${DEFAULT-VALUE})")
  int devices;

  @Option(names = "--data-parallel", paramLabel = "D", defaultValue = "1", description = "data-parallel replicas:"
      + " each runs the schedule on devices/D pipeline devices and microbatches/D of each step's microbatches;"
      + " their gradients are summed in replica order (default: ${DEFAULT-VALUE})")
  int dataParallel;

  @Option(names = "--schedule", defaultValue = "1f1b", description = "schedule name (see 'tandem schedule list'),"
      + " or 'planner': the planner chooses the schedule and layer split under --device-memory"
      + " (default: ${DEFAULT-VALUE})")
  String schedule;

  @Option(names = "--model", defaultValue = "gpt-tiny", description = "model preset (gpt-tiny, gpt-mini, mlp-small)"
      + " or shape: gpt:layers=L,hidden=H,heads=A,seq=S,vocab=V or mlp:layers=L,hidden=H,seq=S,vocab=V"
      + " (default: ${DEFAULT-VALUE})")
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

  @Option(names = "--checkpoint-dir", description = "checkpoint store directory: one shared path, or the same path on each node's own disk")
  Path checkpointDir;

  @Option(names = "--checkpoint-every", defaultValue = "0", description = "checkpoint every K steps, 0 = never (default: ${DEFAULT-VALUE})")
  int checkpointEvery;

  @Option(names = "--snapshot-every", defaultValue = "auto", description = "cluster jobs: keep each worker's layer state"
      + " in memory on its node and on a peer node every K steps, so that a lost node costs at most K steps; 0 = off;"
      + " auto = every step, or every few steps when the state takes long to copy next to a step (default: ${DEFAULT-VALUE})")
  String snapshotEvery;

  @Option(names = "--keep-checkpoints", defaultValue = "3", description = "checkpoints kept (default: ${DEFAULT-VALUE})")
  int keepCheckpoints;

  @Option(names = "--device-memory", description = "per-device memory budget the planner plans (--schedule planner) and re-plans after a failure under,"
      + " e.g. 16GiB (default: unlimited)")
  String deviceMemory;

  @Option(names = "--recompute", defaultValue = "none", description = "activation recomputation: none, all (every stage"
      + " keeps only its input after F and recomputes its activations before B: less memory, same weights) or"
      + " planner (the stages the planner picks under --device-memory) (default: ${DEFAULT-VALUE})")
  String recompute;

  @Option(names = "--job-id", description = "job id (default: generated)")
  String jobId;

  @Option(names = "--resume", paramLabel = "DIR", description = "continue the job whose checkpoints are in DIR (or one"
      + " DIR/step-N), from its newest valid checkpoint, to --steps; model, data and optimizer options come from the"
      + " checkpoint, and new checkpoints go to DIR")
  Path resume;

  /** {@code --snapshot-every} as the spec states it: 0 = auto, K, or -1 = off. */
  private int snapshotEvery() {
    if (snapshotEvery.equalsIgnoreCase("auto")) {
      return 0;
    }
    try {
      int k = Integer.parseInt(snapshotEvery.strip());
      if (k >= 0) {
        return k == 0 ? -1 : k;
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw new IllegalArgumentException("--snapshot-every must be auto, 0 (off) or a number of steps >= 1, got '"
        + snapshotEvery + "'");
  }

  /**
   * The job spec these options describe, checked by the one validator ({@link JobSpecs#prepare}:
   * the same rules and messages as the Java API, the admin API and the coordinator), with the
   * planner's choice made for {@code --schedule planner}.
   */
  JobSpec jobSpec(String idPrefix) {
    int snapshots = snapshotEvery();
    JobSpec spec = JobSpec.newBuilder()
        .setJobId(jobId != null ? jobId : idPrefix + "-" + Long.toHexString(System.nanoTime()))
        .setBackend(backend.toLowerCase(Locale.ROOT))
        .setDevices(devices)
        .setDataParallel(dataParallel)
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
        .setCheckpointDir(checkpointDir == null ? "" : checkpointDir.toAbsolutePath().toString())
        .setCheckpointEvery(checkpointEvery).setSnapshotEvery(snapshots)
        .setKeepCheckpoints(keepCheckpoints)
        .setDeviceMemoryBytes(deviceMemory == null ? 0 : io.tandem.planner.Bytes.parse(deviceMemory))
        .setRecompute(recompute.toLowerCase(Locale.ROOT))
        .build();
    return JobSpecs.prepare(spec);
  }
}
