package io.tandem.cli;

import io.tandem.actors.JobSpecs;
import io.tandem.actors.checkpoint.Checkpoint;
import io.tandem.actors.checkpoint.CheckpointException;
import io.tandem.actors.checkpoint.SavedModel;
import io.tandem.proto.JobSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import picocli.CommandLine.ParseResult;

/**
 * {@code --resume DIR}: the job continues from the newest valid checkpoint in DIR with the spec
 * that checkpoint recorded. Options that shape the math (model, data, seed, optimizer, batch)
 * come from the checkpoint and may only be repeated with the same value; those that do not
 * ({@code --steps}, devices, schedule, backend, checkpointing) may change, since the weights do
 * not depend on the partition or schedule.
 */
final class Resume {
  /** Options whose value must match the checkpoint's, with the spec field each sets. */
  private static final Map<String, Function<JobSpec, Object>> MATH = Map.of(
      "--model", JobSpec::getModel,
      "--seed", JobSpec::getSeed,
      "--microbatches", JobSpec::getMicrobatches,
      "--microbatch-size", JobSpec::getMicrobatchSize,
      "--lr", JobSpec::getLearningRate,
      "--optimizer", JobSpec::getOptimizer,
      "--clip", JobSpec::getClipNorm,
      "--dataset", JobSpec::getDataset);

  private Resume() {}

  /**
   * The spec that continues the job checkpointed in {@code dir} ({@code resumeStep} set, its
   * checkpoint directory that of the checkpoint), checked by the one validator. {@code onCluster}:
   * the job runs on a cluster, whose nodes fetch layer files kept on the disks of the nodes that
   * wrote them, so those need not be here.
   */
  static JobSpec spec(Path dir, JobSpec given, ParseResult parsed, boolean onCluster) {
    Checkpoint c;
    JobSpec saved;
    try {
      c = SavedModel.locate(dir, -1, onCluster);
      saved = SavedModel.specOf(c);
    } catch (CheckpointException e) {
      throw new UserException("--resume: " + e.getMessage());
    }
    for (Map.Entry<String, Function<JobSpec, Object>> e : MATH.entrySet()) {
      if (parsed.hasMatchedOption(e.getKey()) && !same(e.getValue().apply(given), e.getValue().apply(saved))) {
        throw new UserException("--resume: " + e.getKey() + " " + e.getValue().apply(given) + " differs from the checkpoint's "
            + e.getValue().apply(saved) + "; a resumed job keeps the options that shape its math (leave it out)");
      }
    }
    if (!parsed.hasMatchedOption("--steps")) {
      throw new UserException("--resume needs --steps: the total steps to train to (the checkpoint has " + c.step() + ")");
    }
    if (given.getSteps() <= c.step()) {
      throw new UserException("--resume: --steps " + given.getSteps() + " is not past the checkpoint's step " + c.step()
          + "; ask for more steps");
    }
    JobSpec.Builder b = saved.toBuilder().setSteps(given.getSteps()).setJobId(given.getJobId());
    boolean repartitioned = false;
    for (String o : List.of("--devices", "--data-parallel", "--schedule")) {
      repartitioned |= parsed.hasMatchedOption(o);
    }
    if (repartitioned) {
      b.setDevices(given.getDevices()).setDataParallel(given.getDataParallel()).setSchedule(given.getSchedule()).clearStageBoundaries()
          .addAllStageBoundaries(given.getStageBoundariesList());
    }
    if (parsed.hasMatchedOption("--recompute")) {
      b.setRecompute(given.getRecompute()).clearRecomputeStages();
      if (given.getRecompute().equals("planner")) {
        b.clearStageBoundaries(); // the planner chooses the split with the recomputation
      }
    } else if (repartitioned) {
      b.clearRecomputeStages(); // the planner's flags were for the old split
    }
    if (parsed.hasMatchedOption("--backend")) {
      b.setBackend(given.getBackend());
    }
    if (parsed.hasMatchedOption("--step-timeout")) {
      b.setStepTimeoutS(given.getStepTimeoutS());
    }
    if (parsed.hasMatchedOption("--op-ms")) {
      b.setOpMs(given.getOpMs());
    }
    if (parsed.hasMatchedOption("--memory-limit")) {
      b.setMemoryLimit(given.getMemoryLimit());
    }
    if (parsed.hasMatchedOption("--device-memory")) {
      b.setDeviceMemoryBytes(given.getDeviceMemoryBytes());
    }
    Path root = c.dir().toAbsolutePath().getParent();
    if (parsed.hasMatchedOption("--checkpoint-dir") && !Path.of(given.getCheckpointDir()).toAbsolutePath().normalize()
        .equals(root.normalize())) {
      throw new UserException("--resume " + dir + " continues in " + root + ": its new checkpoints go there too;"
          + " leave out --checkpoint-dir");
    }
    b.setCheckpointDir(root.toString()).setResumeStep(c.step());
    if (parsed.hasMatchedOption("--checkpoint-every")) {
      b.setCheckpointEvery(given.getCheckpointEvery());
    }
    if (parsed.hasMatchedOption("--keep-checkpoints")) {
      b.setKeepCheckpoints(given.getKeepCheckpoints());
    }
    return JobSpecs.prepare(b.build());
  }

  private static boolean same(Object a, Object b) {
    if (a instanceof Number x && b instanceof Number y) {
      return x.doubleValue() == y.doubleValue();
    }
    return String.valueOf(a).equalsIgnoreCase(String.valueOf(b));
  }
}
