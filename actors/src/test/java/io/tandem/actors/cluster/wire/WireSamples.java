package io.tandem.actors.cluster.wire;

import io.tandem.actors.JobEvent;
import io.tandem.actors.worker.StageWorker;
import io.tandem.actors.cluster.JobMaster;
import io.tandem.actors.cluster.NodeAgent;
import io.tandem.proto.CheckpointFile;
import io.tandem.proto.DeviceDescription;
import io.tandem.proto.ErrorReport;
import io.tandem.proto.JobSpec;
import io.tandem.proto.OpKind;
import io.tandem.proto.OpProgram;
import io.tandem.proto.OpRef;
import io.tandem.proto.OpTiming;
import io.tandem.proto.Registration;
import io.tandem.proto.StepReport;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;

/**
 * One sample of every message that crosses JVMs, by manifest: the values the golden encodings in
 * {@code src/test/resources/wire/} were written from. NEVER change a sample's values (the golden
 * files would no longer match): a new message or field gets a new sample or a new golden file.
 * Actor refs are paths in an actor system named {@link #SYSTEM}.
 */
final class WireSamples {
  /** Name of the actor system the samples' refs live in (decoding resolves them there). */
  static final String SYSTEM = "tandem-wire-golden";

  private WireSamples() {}

  static Map<String, Object> all(ActorRefResolver resolver) {
    ActorRef<StageWorker.Reply> coordinator = resolver.resolveActorRef("pekko://" + SYSTEM + "/user/job-run-7");
    ActorRef<StageWorker.Command> w0 = resolver.resolveActorRef("pekko://" + SYSTEM + "/user/agent/worker-0");
    ActorRef<StageWorker.Command> w1 = resolver.resolveActorRef("pekko://" + SYSTEM + "/user/agent/worker-1");
    ActorRef<NodeAgent.Reply> run = resolver.resolveActorRef("pekko://" + SYSTEM + "/user/job-master/run");
    ActorRef<JobEvent> listener = resolver.resolveActorRef("pekko://" + SYSTEM + "/user/submitter");
    OpRef b = OpRef.newBuilder().setKind(OpKind.B).setMicrobatch(3).setVirtualStage(2).setWeightVersion(1).build();
    OpProgram program = OpProgram.newBuilder().setJobId("job-7").setStep(41).setDevice(1)
        .addOps(OpRef.newBuilder().setKind(OpKind.F).setMicrobatch(0).setVirtualStage(1))
        .addOps(b).addOps(OpRef.newBuilder().setKind(OpKind.W).setMicrobatch(3).setVirtualStage(2))
        .addOps(OpRef.newBuilder().setKind(OpKind.BW).setMicrobatch(4).setVirtualStage(1)).build();
    StepReport report = StepReport.newBuilder().setJobId("job-7").setStep(41).setDevice(1)
        .addMicrobatchLoss(2.25).addMicrobatchLoss(-0.0).addLossMicrobatches(0).addLossMicrobatches(1)
        .addLayerGradSumSquares(1e-300).addLayerIndex(5)
        .addTimings(OpTiming.newBuilder().setOp(b).setStartMs(1.5).setEndMs(9.75))
        .setPeakActivationBytes(1L << 40).setPeakActivationUnits(2.5).build();
    ErrorReport error = ErrorReport.newBuilder().setJobId("job-7").setStep(41).setWorker("device 1 on node-a")
        .setOp(b).setMessage("CUDA_ERROR_OUT_OF_MEMORY in matmul — ü").build();
    CheckpointFile file = CheckpointFile.newBuilder().setLayer(5).setName("layer-5.bin")
        .setSha256("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08").setBytes(123_456_789L).build();
    JobSpec spec = JobSpec.newBuilder().setJobId("job-7").setModel("gpt-tiny").setSchedule("zb-v").setDevices(4)
        .setMicrobatches(8).setMicrobatchSize(2).setSteps(100).setSeed(-42).setLearningRate(3e-4)
        .setBackend("cuda").setOpMs(0.5).setDataset("corpus").setMemoryLimit(6).setClipNorm(1)
        .setOptimizer("adamw").setStepTimeoutS(30).setCheckpointDir("/ckpt").setCheckpointEvery(10)
        .setKeepCheckpoints(2).setMinNodes(2).setDeviceMemoryBytes(8e9).addStageBoundaries(0)
        .addStageBoundaries(3).addStageBoundaries(6).build();
    Registration registration = Registration.newBuilder().setNode("pekko://tandem@10.0.0.2:25520")
        .setAgentPath("pekko://tandem@10.0.0.2:25520/user/node-agent")
        .addDevices(DeviceDescription.newBuilder().setKind("cuda").setName("NVIDIA H200")
            .setMemoryBytes(150_000_000_000L).setThreads(1))
        .setDataPlaneHost("10.0.0.2").setDataPlanePort(40123).build();
    SortedMap<Integer, byte[]> weights = new TreeMap<>();
    weights.put(4, new byte[] {0, 1, (byte) 0xff, 0x7f, (byte) 0x80});
    weights.put(5, new byte[0]);
    Map<String, String> planes = new LinkedHashMap<>();
    planes.put("pekko://tandem@10.0.0.2:25520", "10.0.0.2:40123");
    planes.put("pekko://tandem@10.0.0.3:25520", "10.0.0.3:40124");
    Map<Integer, ActorRef<StageWorker.Command>> workers = new TreeMap<>(Map.of(0, w0, 3, w1));

    Map<String, Object> m = new LinkedHashMap<>();
    m.put("W.Peers", new StageWorker.Peers(List.of(w0, w1, w1, w0)));
    m.put("W.RunStep", new StageWorker.RunStep(program, coordinator));
    m.put("W.LoadProgram", new StageWorker.LoadProgram(program));
    m.put("W.StartStep", new StageWorker.StartStep("job-7", 41, coordinator));
    m.put("W.ApplyUpdate", new StageWorker.ApplyUpdate(41, 0.125, coordinator));
    m.put("W.CollectWeights", new StageWorker.CollectWeights(coordinator));
    m.put("W.AbortStep", new StageWorker.AbortStep(Long.MAX_VALUE));
    m.put("W.Reroute", new StageWorker.Reroute(7, List.of(4, 12), List.of(2, 4), List.of(0, 1, 0, 3, 1)));
    m.put("W.TakeCheckpoint", new StageWorker.TakeCheckpoint(40, "/ckpt/job-7", "job-7", coordinator));
    m.put("W.StepReported", new StageWorker.StepReported(report));
    m.put("W.StepFailed", new StageWorker.StepFailed(error));
    m.put("W.UpdateApplied", new StageWorker.UpdateApplied(3, 41));
    m.put("W.WeightsReported", new StageWorker.WeightsReported(2, weights));
    m.put("W.UpdateFailed", new StageWorker.UpdateFailed(2, 41, "NaN in layer 4"));
    m.put("W.CheckpointWritten", new StageWorker.CheckpointWritten(1, 40, List.of(file, file.toBuilder()
        .setLayer(6).setName("layer-6.bin").build()), 12.5));
    m.put("W.CheckpointFailed", new StageWorker.CheckpointFailed(1, 40, "disk full"));
    m.put("N.Describe", new NodeAgent.Describe(run));
    m.put("N.SpawnWorkers", new NodeAgent.SpawnWorkers(spec, List.of(0, 3), planes, -1,
        new byte[] {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, -1, -2, -3, -4, -5, -6}, run));
    m.put("N.SendSnapshot", new NodeAgent.SendSnapshot("job-7", 40, List.of(0, 5), "10.0.0.2", 7001));
    ActorRef<NodeAgent.Command> agent = resolver.resolveActorRef("pekko://" + SYSTEM + "/user/node-agent");
    m.put("N.SendShards", new NodeAgent.SendShards("job-7", "/ckpt/job-7", 40, List.of(file.toBuilder()
        .setNode("pekko://tandem@10.0.0.3:25520").build()), new byte[] {1, 2, 3, -4}, "10.0.0.2", 7001, agent));
    m.put("N.ShardsUnavailable", new NodeAgent.ShardsUnavailable("job-7", 40, List.of(5),
        "checkpoint file /ckpt/job-7/step-40/layer-5.bin (layer 5) is corrupt"));
    m.put("N.DataPlanePeerLost", new NodeAgent.DataPlanePeerLost("job-7-r1", "pekko://tandem@10.0.0.2:25520",
        "10.0.0.3:7001"));
    m.put("N.DropSnapshots", new NodeAgent.DropSnapshots("job-7"));
    m.put("N.SnapshotHeld", new NodeAgent.SnapshotHeld("job-7", "pekko://tandem@10.0.0.2:25520", 40, List.of(4, 5)));
    m.put("W.TakeSnapshot", new StageWorker.TakeSnapshot(40));
    m.put("N.ReleaseJob", new NodeAgent.ReleaseJob("job-7-r1"));
    m.put("N.StateKept", new NodeAgent.StateKept("job-7-r1", "pekko://tandem@10.0.0.2:25520"));
    m.put("N.Described", new NodeAgent.Described(registration));
    m.put("N.WorkersSpawned", new NodeAgent.WorkersSpawned("job-7", "pekko://tandem@10.0.0.2:25520", workers));
    m.put("N.SpawnFailed", new NodeAgent.SpawnFailed("job-7", "pekko://tandem@10.0.0.2:25520", "no CUDA device"));
    m.put("N.NodeLeaving", new NodeAgent.NodeLeaving("job-7", "pekko://tandem@10.0.0.3:25520"));
    m.put("J.SubmitJob", new JobMaster.SubmitJob(spec, 2, listener));
    m.put("J.CancelJob", new JobMaster.CancelJob("job-7", "user asked"));
    m.put("J.CheckpointJob", new JobMaster.CheckpointJob("job-7"));
    m.put("J.DrainNode", new JobMaster.DrainNode("pekko://tandem@10.0.0.3:25520"));
    m.put("E.JobStarted", new JobEvent.JobStarted("zb-v", List.of("pekko://tandem@10.0.0.2:25520",
        "pekko://tandem@10.0.0.3:25520"), 1, 40));
    m.put("E.StepCompleted", new JobEvent.StepCompleted(41, 2.5, 812.25, new double[] {4, 3.5},
        new long[] {1L << 33, 7}, 0.75, List.of(report)));
    m.put("E.JobSucceeded", new JobEvent.JobSucceeded(100, 1.0625,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    m.put("E.Progress", new JobEvent.Progress("re-planned", "4 devices -> 3 devices"));
    m.put("E.JobFailed", new JobEvent.JobFailed("step 41 failed on device 1: NaN"));
    m.put("E.JobCancelled", new JobEvent.JobCancelled(41, "user asked"));
    return m;
  }

  /**
   * A value with structural equality for comparing messages: records become maps of their
   * components, arrays lists, actor refs their paths (decoded refs are other instances).
   */
  static Object normalize(Object o) throws ReflectiveOperationException {
    if (o instanceof Record r) {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("class", r.getClass().getName());
      for (RecordComponent c : r.getClass().getRecordComponents()) {
        fields.put(c.getName(), normalize(c.getAccessor().invoke(r)));
      }
      return fields;
    } else if (o instanceof byte[] bytes) {
      return "bytes " + HexFormat.of().formatHex(bytes);
    } else if (o instanceof double[] ds) {
      return java.util.Arrays.stream(ds).boxed().toList();
    } else if (o instanceof long[] ls) {
      return java.util.Arrays.stream(ls).boxed().toList();
    } else if (o instanceof ActorRef<?> ref) {
      return "ref " + ref.path();
    } else if (o instanceof Map<?, ?> map) {
      Map<Object, Object> sorted = new TreeMap<>();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        sorted.put(e.getKey(), normalize(e.getValue()));
      }
      return sorted;
    } else if (o instanceof List<?> list) {
      List<Object> out = new ArrayList<>();
      for (Object e : list) {
        out.add(normalize(e));
      }
      return out;
    }
    return o;
  }
}
