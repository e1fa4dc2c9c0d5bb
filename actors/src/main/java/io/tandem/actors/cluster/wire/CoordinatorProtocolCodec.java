package io.tandem.actors.cluster.wire;

import static io.tandem.actors.cluster.wire.WireBinding.require;

import io.tandem.actors.JobEvent;
import io.tandem.actors.cluster.JobMaster;
import io.tandem.proto.CoordinatorProtocol;
import java.util.List;

/**
 * Converts the job master's commands (manifests {@code J.*}) and the {@link JobEvent}s a job's
 * submitter hears (manifests {@code E.*}) to and from the {@link CoordinatorProtocol} messages of
 * {@code tandem.proto}.
 */
public final class CoordinatorProtocolCodec {
  private final WireRefs refs;

  public CoordinatorProtocolCodec(WireRefs refs) {
    this.refs = refs;
  }

  /** One binding per message. */
  public List<WireBinding<?, ?>> bindings() {
    return List.of(
        WireBinding.of("J.SubmitJob", JobMaster.SubmitJob.class, CoordinatorProtocol.SubmitJob.getDefaultInstance(),
            m -> CoordinatorProtocol.SubmitJob.newBuilder().setSpec(m.spec()).setMinNodes(m.minNodes())
                .setReplyTo(refs.write(m.replyTo())).build(),
            p -> {
              require(p.hasSpec(), "spec");
              return new JobMaster.SubmitJob(p.getSpec(), p.getMinNodes(), refs.read("reply_to", p.getReplyTo()));
            }),
        WireBinding.of("J.CancelJob", JobMaster.CancelJob.class, CoordinatorProtocol.CancelJob.getDefaultInstance(),
            m -> CoordinatorProtocol.CancelJob.newBuilder().setJobId(m.jobId()).setReason(m.reason()).build(),
            p -> new JobMaster.CancelJob(p.getJobId(), p.getReason())),
        WireBinding.of("J.CheckpointJob", JobMaster.CheckpointJob.class,
            CoordinatorProtocol.CheckpointJob.getDefaultInstance(),
            m -> CoordinatorProtocol.CheckpointJob.newBuilder().setJobId(m.jobId()).build(),
            p -> new JobMaster.CheckpointJob(p.getJobId())),
        WireBinding.of("J.DrainNode", JobMaster.DrainNode.class, CoordinatorProtocol.DrainNode.getDefaultInstance(),
            m -> CoordinatorProtocol.DrainNode.newBuilder().setNode(m.node()).build(),
            p -> new JobMaster.DrainNode(p.getNode())),
        WireBinding.of("E.JobStarted", JobEvent.JobStarted.class, CoordinatorProtocol.JobStarted.getDefaultInstance(),
            m -> CoordinatorProtocol.JobStarted.newBuilder().setSchedule(m.schedule()).addAllDeviceNodes(m.deviceNodes())
                .setAttempt(m.attempt()).setFromStep(m.fromStep()).build(),
            p -> new JobEvent.JobStarted(p.getSchedule(), p.getDeviceNodesList(), p.getAttempt(), p.getFromStep())),
        WireBinding.of("E.StepCompleted", JobEvent.StepCompleted.class,
            CoordinatorProtocol.StepCompleted.getDefaultInstance(), CoordinatorProtocolCodec::encodeStepCompleted,
            CoordinatorProtocolCodec::decodeStepCompleted),
        WireBinding.of("E.JobSucceeded", JobEvent.JobSucceeded.class,
            CoordinatorProtocol.JobSucceeded.getDefaultInstance(),
            m -> CoordinatorProtocol.JobSucceeded.newBuilder().setSteps(m.steps()).setFinalLoss(m.finalLoss())
                .setWeightsSha256(m.weightsSha256()).build(),
            p -> new JobEvent.JobSucceeded(p.getSteps(), p.getFinalLoss(), p.getWeightsSha256())),
        WireBinding.of("E.Progress", JobEvent.Progress.class, CoordinatorProtocol.Progress.getDefaultInstance(),
            m -> CoordinatorProtocol.Progress.newBuilder().setKind(m.kind()).setMessage(m.message()).build(),
            p -> new JobEvent.Progress(p.getKind(), p.getMessage())),
        WireBinding.of("E.JobFailed", JobEvent.JobFailed.class, CoordinatorProtocol.JobFailed.getDefaultInstance(),
            m -> CoordinatorProtocol.JobFailed.newBuilder().setMessage(m.message()).build(),
            p -> new JobEvent.JobFailed(p.getMessage())),
        WireBinding.of("E.JobCancelled", JobEvent.JobCancelled.class,
            CoordinatorProtocol.JobCancelled.getDefaultInstance(),
            m -> CoordinatorProtocol.JobCancelled.newBuilder().setStepsCompleted(m.stepsCompleted())
                .setReason(m.reason()).build(),
            p -> new JobEvent.JobCancelled(p.getStepsCompleted(), p.getReason())));
  }

  private static CoordinatorProtocol.StepCompleted encodeStepCompleted(JobEvent.StepCompleted m) {
    CoordinatorProtocol.StepCompleted.Builder b = CoordinatorProtocol.StepCompleted.newBuilder().setStep(m.step())
        .setLoss(m.loss()).setStepMillis(m.stepMillis()).setGradNorm(m.gradNorm()).addAllReports(m.reports());
    for (double u : m.peakActivationUnits()) {
      b.addPeakActivationUnits(u);
    }
    for (long bytes : m.peakActivationBytes()) {
      b.addPeakActivationBytes(bytes);
    }
    return b.build();
  }

  private static JobEvent.StepCompleted decodeStepCompleted(CoordinatorProtocol.StepCompleted p) {
    double[] units = p.getPeakActivationUnitsList().stream().mapToDouble(Double::doubleValue).toArray();
    long[] bytes = p.getPeakActivationBytesList().stream().mapToLong(Long::longValue).toArray();
    return new JobEvent.StepCompleted(p.getStep(), p.getLoss(), p.getStepMillis(), units, bytes, p.getGradNorm(),
        p.getReportsList());
  }
}
