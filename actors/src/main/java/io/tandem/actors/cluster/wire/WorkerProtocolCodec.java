package io.tandem.actors.cluster.wire;

import static io.tandem.actors.cluster.wire.WireBinding.require;

import com.google.protobuf.ByteString;
import io.tandem.actors.worker.StageWorker;
import io.tandem.proto.WorkerProtocol;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Converts {@link StageWorker}'s cross-JVM commands and replies (manifests {@code W.*}) to and
 * from the {@link WorkerProtocol} messages of {@code tandem.proto}.
 */
public final class WorkerProtocolCodec {
  private final WireRefs refs;

  public WorkerProtocolCodec(WireRefs refs) {
    this.refs = refs;
  }

  /** One binding per message. */
  public List<WireBinding<?, ?>> bindings() {
    return List.of(
        WireBinding.of("W.Peers", StageWorker.Peers.class, WorkerProtocol.Peers.getDefaultInstance(),
            m -> WorkerProtocol.Peers.newBuilder().addAllOwnerOfStage(refs.writeAll(m.ownerOfStage()))
                .setReplica(m.replica()).addAllSameDevice(refs.writeAll(m.sameDevice())).build(),
            p -> new StageWorker.Peers(refs.readAll("owner_of_stage", p.getOwnerOfStageList()), p.getReplica(),
                refs.readAll("same_device", p.getSameDeviceList()))),
        WireBinding.of("W.RunStep", StageWorker.RunStep.class, WorkerProtocol.RunStep.getDefaultInstance(),
            m -> WorkerProtocol.RunStep.newBuilder().setProgram(m.program()).setReplyTo(refs.write(m.replyTo())).build(),
            p -> {
              require(p.hasProgram(), "program");
              return new StageWorker.RunStep(p.getProgram(), refs.read("reply_to", p.getReplyTo()));
            }),
        WireBinding.of("W.LoadProgram", StageWorker.LoadProgram.class, WorkerProtocol.LoadProgram.getDefaultInstance(),
            m -> WorkerProtocol.LoadProgram.newBuilder().setProgram(m.program()).build(),
            p -> {
              require(p.hasProgram(), "program");
              return new StageWorker.LoadProgram(p.getProgram());
            }),
        WireBinding.of("W.StartStep", StageWorker.StartStep.class, WorkerProtocol.StartStep.getDefaultInstance(),
            m -> WorkerProtocol.StartStep.newBuilder().setJobId(m.jobId()).setStep(m.step())
                .setReplyTo(refs.write(m.replyTo())).build(),
            p -> new StageWorker.StartStep(p.getJobId(), p.getStep(), refs.read("reply_to", p.getReplyTo()))),
        WireBinding.of("W.ApplyUpdate", StageWorker.ApplyUpdate.class, WorkerProtocol.ApplyUpdate.getDefaultInstance(),
            m -> WorkerProtocol.ApplyUpdate.newBuilder().setStep(m.step()).setGradScale(m.gradScale())
                .setReplyTo(refs.write(m.replyTo())).build(),
            p -> new StageWorker.ApplyUpdate(p.getStep(), p.getGradScale(), refs.read("reply_to", p.getReplyTo()))),
        WireBinding.of("W.CollectWeights", StageWorker.CollectWeights.class,
            WorkerProtocol.CollectWeights.getDefaultInstance(),
            m -> WorkerProtocol.CollectWeights.newBuilder().setReplyTo(refs.write(m.replyTo())).build(),
            p -> new StageWorker.CollectWeights(refs.read("reply_to", p.getReplyTo()))),
        WireBinding.of("W.AbortStep", StageWorker.AbortStep.class, WorkerProtocol.AbortStep.getDefaultInstance(),
            m -> WorkerProtocol.AbortStep.newBuilder().setStep(m.step()).build(),
            p -> new StageWorker.AbortStep(p.getStep())),
        WireBinding.of("W.Reroute", StageWorker.Reroute.class, WorkerProtocol.Reroute.getDefaultInstance(),
            m -> WorkerProtocol.Reroute.newBuilder().setStep(m.step()).addAllMicrobatchOffsets(m.microbatchOffsets())
                .addAllGroups(m.groups()).addAllHostOf(m.hostOf()).build(),
            p -> {
              require(p.getMicrobatchOffsetsCount() == p.getGroupsCount(), "groups (one per microbatch offset)");
              return new StageWorker.Reroute(p.getStep(), p.getMicrobatchOffsetsList(), p.getGroupsList(),
                  p.getHostOfList());
            }),
        WireBinding.of("W.TakeSnapshot", StageWorker.TakeSnapshot.class,
            WorkerProtocol.TakeSnapshot.getDefaultInstance(),
            m -> WorkerProtocol.TakeSnapshot.newBuilder().setStep(m.step()).build(),
            p -> new StageWorker.TakeSnapshot(p.getStep())),
        WireBinding.of("W.TakeCheckpoint", StageWorker.TakeCheckpoint.class,
            WorkerProtocol.TakeCheckpoint.getDefaultInstance(),
            m -> WorkerProtocol.TakeCheckpoint.newBuilder().setStep(m.step()).setDir(m.dir()).setJobId(m.jobId())
                .setReplyTo(refs.write(m.replyTo())).setKeepFrom(m.keepFrom()).build(),
            p -> new StageWorker.TakeCheckpoint(p.getStep(), p.getDir(), p.getJobId(),
                refs.read("reply_to", p.getReplyTo()), p.getKeepFrom())),
        WireBinding.of("W.StepReported", StageWorker.StepReported.class, WorkerProtocol.StepReported.getDefaultInstance(),
            m -> WorkerProtocol.StepReported.newBuilder().setReport(m.report()).build(),
            p -> {
              require(p.hasReport(), "report");
              return new StageWorker.StepReported(p.getReport());
            }),
        WireBinding.of("W.StepFailed", StageWorker.StepFailed.class, WorkerProtocol.StepFailed.getDefaultInstance(),
            m -> WorkerProtocol.StepFailed.newBuilder().setError(m.error()).build(),
            p -> {
              require(p.hasError(), "error");
              return new StageWorker.StepFailed(p.getError());
            }),
        WireBinding.of("W.UpdateApplied", StageWorker.UpdateApplied.class,
            WorkerProtocol.UpdateApplied.getDefaultInstance(),
            m -> WorkerProtocol.UpdateApplied.newBuilder().setDevice(m.device()).setStep(m.step()).build(),
            p -> new StageWorker.UpdateApplied(p.getDevice(), p.getStep())),
        WireBinding.of("W.WeightsReported", StageWorker.WeightsReported.class,
            WorkerProtocol.WeightsReported.getDefaultInstance(), WorkerProtocolCodec::weightsReported,
            p -> new StageWorker.WeightsReported(p.getDevice(), weights(p.getWeightsMap()))),
        WireBinding.of("W.UpdateFailed", StageWorker.UpdateFailed.class, WorkerProtocol.UpdateFailed.getDefaultInstance(),
            m -> WorkerProtocol.UpdateFailed.newBuilder().setDevice(m.device()).setStep(m.step())
                .setMessage(m.message()).build(),
            p -> new StageWorker.UpdateFailed(p.getDevice(), p.getStep(), p.getMessage())),
        WireBinding.of("W.CheckpointWritten", StageWorker.CheckpointWritten.class,
            WorkerProtocol.CheckpointWritten.getDefaultInstance(),
            m -> WorkerProtocol.CheckpointWritten.newBuilder().setDevice(m.device()).setStep(m.step())
                .addAllFiles(m.files()).setBlockingMs(m.blockingMs()).build(),
            p -> new StageWorker.CheckpointWritten(p.getDevice(), p.getStep(), p.getFilesList(), p.getBlockingMs())),
        WireBinding.of("W.CheckpointFailed", StageWorker.CheckpointFailed.class,
            WorkerProtocol.CheckpointFailed.getDefaultInstance(),
            m -> WorkerProtocol.CheckpointFailed.newBuilder().setDevice(m.device()).setStep(m.step())
                .setMessage(m.message()).build(),
            p -> new StageWorker.CheckpointFailed(p.getDevice(), p.getStep(), p.getMessage())));
  }

  private static WorkerProtocol.WeightsReported weightsReported(StageWorker.WeightsReported m) {
    WorkerProtocol.WeightsReported.Builder b = WorkerProtocol.WeightsReported.newBuilder().setDevice(m.device());
    m.weights().forEach((layer, state) -> b.putWeights(layer, ByteString.copyFrom(state)));
    return b.build();
  }

  private static SortedMap<Integer, byte[]> weights(Map<Integer, ByteString> wire) {
    SortedMap<Integer, byte[]> weights = new TreeMap<>();
    wire.forEach((layer, state) -> weights.put(layer, state.toByteArray()));
    return weights;
  }
}
