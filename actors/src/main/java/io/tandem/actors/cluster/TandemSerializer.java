package io.tandem.actors.cluster;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.tandem.actors.JobEvent;
import io.tandem.actors.StageWorker;
import io.tandem.proto.CheckpointFile;
import io.tandem.proto.ErrorReport;
import io.tandem.proto.JobSpec;
import io.tandem.proto.OpProgram;
import io.tandem.proto.Registration;
import io.tandem.proto.StepReport;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Serializes the control messages that cross JVMs: the coordinator-worker protocol, the node
 * agent protocol, job submission and job events. Protobuf messages from {@code proto/} travel
 * as their bytes, actor refs as {@link ActorRefResolver} strings, everything else as plain
 * fields. Tensors never come here (they use the data plane); Java serialization is never used.
 */
public final class TandemSerializer extends SerializerWithStringManifest {
  /** Serializer id, unique in the actor system's configuration. */
  public static final int IDENTIFIER = 741_001;

  private final ExtendedActorSystem system;
  private volatile ActorRefResolver resolver;

  public TandemSerializer(ExtendedActorSystem system) {
    this.system = system;
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  private ActorRefResolver resolver() {
    ActorRefResolver r = resolver;
    if (r == null) {
      r = ActorRefResolver.get(Adapter.toTyped(system));
      resolver = r;
    }
    return r;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof StageWorker.Peers) {
      return "W.Peers";
    } else if (o instanceof StageWorker.RunStep) {
      return "W.RunStep";
    } else if (o instanceof StageWorker.ApplyUpdate) {
      return "W.ApplyUpdate";
    } else if (o instanceof StageWorker.CollectWeights) {
      return "W.CollectWeights";
    } else if (o instanceof StageWorker.AbortStep) {
      return "W.AbortStep";
    } else if (o instanceof StageWorker.StepReported) {
      return "W.StepReported";
    } else if (o instanceof StageWorker.StepFailed) {
      return "W.StepFailed";
    } else if (o instanceof StageWorker.UpdateApplied) {
      return "W.UpdateApplied";
    } else if (o instanceof StageWorker.WeightsReported) {
      return "W.WeightsReported";
    } else if (o instanceof StageWorker.UpdateFailed) {
      return "W.UpdateFailed";
    } else if (o instanceof StageWorker.TakeCheckpoint) {
      return "W.TakeCheckpoint";
    } else if (o instanceof StageWorker.CheckpointWritten) {
      return "W.CheckpointWritten";
    } else if (o instanceof StageWorker.CheckpointFailed) {
      return "W.CheckpointFailed";
    } else if (o instanceof JobEvent.Progress) {
      return "E.Progress";
    } else if (o instanceof NodeAgent.Describe) {
      return "N.Describe";
    } else if (o instanceof NodeAgent.SpawnWorkers) {
      return "N.SpawnWorkers";
    } else if (o instanceof NodeAgent.ReleaseJob) {
      return "N.ReleaseJob";
    } else if (o instanceof NodeAgent.Described) {
      return "N.Described";
    } else if (o instanceof NodeAgent.WorkersSpawned) {
      return "N.WorkersSpawned";
    } else if (o instanceof NodeAgent.SpawnFailed) {
      return "N.SpawnFailed";
    } else if (o instanceof NodeAgent.NodeLeaving) {
      return "N.NodeLeaving";
    } else if (o instanceof JobMaster.SubmitJob) {
      return "J.SubmitJob";
    } else if (o instanceof JobMaster.CancelJob) {
      return "J.CancelJob";
    } else if (o instanceof JobMaster.CheckpointJob) {
      return "J.CheckpointJob";
    } else if (o instanceof JobMaster.DrainNode) {
      return "J.DrainNode";
    } else if (o instanceof JobEvent.JobStarted) {
      return "E.JobStarted";
    } else if (o instanceof JobEvent.JobCancelled) {
      return "E.JobCancelled";
    } else if (o instanceof JobEvent.StepCompleted) {
      return "E.StepCompleted";
    } else if (o instanceof JobEvent.JobSucceeded) {
      return "E.JobSucceeded";
    } else if (o instanceof JobEvent.JobFailed) {
      return "E.JobFailed";
    }
    throw new IllegalArgumentException(o.getClass().getName() + " does not cross JVMs"
        + (o instanceof StageWorker.TensorArrived ? " (tensors travel on the data plane)" : ""));
  }

  @Override
  public byte[] toBinary(Object o) {
    String manifest = manifest(o);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      write(manifest, o, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private void write(String manifest, Object o, DataOutputStream out) throws IOException {
    switch (manifest) {
      case "W.Peers" -> {
        List<ActorRef<StageWorker.Command>> owners = ((StageWorker.Peers) o).ownerOfStage();
        out.writeInt(owners.size());
        for (ActorRef<StageWorker.Command> r : owners) {
          ref(out, r);
        }
      }
      case "W.RunStep" -> {
        StageWorker.RunStep m = (StageWorker.RunStep) o;
        proto(out, m.program());
        ref(out, m.replyTo());
      }
      case "W.ApplyUpdate" -> {
        StageWorker.ApplyUpdate m = (StageWorker.ApplyUpdate) o;
        out.writeLong(m.step());
        out.writeDouble(m.gradScale());
        ref(out, m.replyTo());
      }
      case "W.CollectWeights" -> ref(out, ((StageWorker.CollectWeights) o).replyTo());
      case "W.AbortStep" -> out.writeLong(((StageWorker.AbortStep) o).step());
      case "W.StepReported" -> proto(out, ((StageWorker.StepReported) o).report());
      case "W.StepFailed" -> proto(out, ((StageWorker.StepFailed) o).error());
      case "W.UpdateApplied" -> {
        StageWorker.UpdateApplied m = (StageWorker.UpdateApplied) o;
        out.writeInt(m.device());
        out.writeLong(m.step());
      }
      case "W.WeightsReported" -> {
        StageWorker.WeightsReported m = (StageWorker.WeightsReported) o;
        out.writeInt(m.device());
        out.writeInt(m.weights().size());
        for (Map.Entry<Integer, byte[]> e : m.weights().entrySet()) {
          out.writeInt(e.getKey());
          bytes(out, e.getValue());
        }
      }
      case "W.UpdateFailed" -> {
        StageWorker.UpdateFailed m = (StageWorker.UpdateFailed) o;
        out.writeInt(m.device());
        out.writeLong(m.step());
        string(out, m.message());
      }
      case "W.TakeCheckpoint" -> {
        StageWorker.TakeCheckpoint m = (StageWorker.TakeCheckpoint) o;
        out.writeLong(m.step());
        string(out, m.dir());
        string(out, m.jobId());
        ref(out, m.replyTo());
      }
      case "W.CheckpointWritten" -> {
        StageWorker.CheckpointWritten m = (StageWorker.CheckpointWritten) o;
        out.writeInt(m.device());
        out.writeLong(m.step());
        out.writeInt(m.files().size());
        for (CheckpointFile f : m.files()) {
          proto(out, f);
        }
        out.writeDouble(m.blockingMs());
      }
      case "W.CheckpointFailed" -> {
        StageWorker.CheckpointFailed m = (StageWorker.CheckpointFailed) o;
        out.writeInt(m.device());
        out.writeLong(m.step());
        string(out, m.message());
      }
      case "E.Progress" -> {
        JobEvent.Progress m = (JobEvent.Progress) o;
        string(out, m.kind());
        string(out, m.message());
      }
      case "N.Describe" -> ref(out, ((NodeAgent.Describe) o).replyTo());
      case "N.SpawnWorkers" -> {
        NodeAgent.SpawnWorkers m = (NodeAgent.SpawnWorkers) o;
        proto(out, m.spec());
        out.writeInt(m.devices().size());
        for (int d : m.devices()) {
          out.writeInt(d);
        }
        out.writeInt(m.dataPlanes().size());
        for (Map.Entry<String, String> e : m.dataPlanes().entrySet()) {
          string(out, e.getKey());
          string(out, e.getValue());
        }
        out.writeLong(m.restoreStep());
        bytes(out, m.dataPlaneKey());
        ref(out, m.replyTo());
      }
      case "N.ReleaseJob" -> string(out, ((NodeAgent.ReleaseJob) o).jobId());
      case "N.Described" -> proto(out, ((NodeAgent.Described) o).registration());
      case "N.WorkersSpawned" -> {
        NodeAgent.WorkersSpawned m = (NodeAgent.WorkersSpawned) o;
        string(out, m.jobId());
        string(out, m.node());
        out.writeInt(m.workers().size());
        for (Map.Entry<Integer, ActorRef<StageWorker.Command>> e : m.workers().entrySet()) {
          out.writeInt(e.getKey());
          ref(out, e.getValue());
        }
      }
      case "N.SpawnFailed" -> {
        NodeAgent.SpawnFailed m = (NodeAgent.SpawnFailed) o;
        string(out, m.jobId());
        string(out, m.node());
        string(out, m.message());
      }
      case "N.NodeLeaving" -> {
        NodeAgent.NodeLeaving m = (NodeAgent.NodeLeaving) o;
        string(out, m.jobId());
        string(out, m.node());
      }
      case "J.SubmitJob" -> {
        JobMaster.SubmitJob m = (JobMaster.SubmitJob) o;
        proto(out, m.spec());
        out.writeInt(m.minNodes());
        ref(out, m.replyTo());
      }
      case "E.StepCompleted" -> {
        JobEvent.StepCompleted m = (JobEvent.StepCompleted) o;
        out.writeLong(m.step());
        out.writeDouble(m.loss());
        out.writeDouble(m.stepMillis());
        out.writeInt(m.peakActivationUnits().length);
        for (double u : m.peakActivationUnits()) {
          out.writeDouble(u);
        }
        out.writeInt(m.peakActivationBytes().length);
        for (long b : m.peakActivationBytes()) {
          out.writeLong(b);
        }
        out.writeDouble(m.gradNorm());
        out.writeInt(m.reports().size());
        for (StepReport r : m.reports()) {
          proto(out, r);
        }
      }
      case "E.JobSucceeded" -> {
        JobEvent.JobSucceeded m = (JobEvent.JobSucceeded) o;
        out.writeLong(m.steps());
        out.writeDouble(m.finalLoss());
        string(out, m.weightsSha256());
      }
      case "E.JobFailed" -> string(out, ((JobEvent.JobFailed) o).message());
      case "J.CheckpointJob" -> string(out, ((JobMaster.CheckpointJob) o).jobId());
      case "J.DrainNode" -> string(out, ((JobMaster.DrainNode) o).node());
      case "J.CancelJob" -> {
        JobMaster.CancelJob m = (JobMaster.CancelJob) o;
        string(out, m.jobId());
        string(out, m.reason());
      }
      case "E.JobStarted" -> {
        JobEvent.JobStarted m = (JobEvent.JobStarted) o;
        string(out, m.schedule());
        out.writeInt(m.deviceNodes().size());
        for (String n : m.deviceNodes()) {
          string(out, n);
        }
        out.writeInt(m.attempt());
        out.writeLong(m.fromStep());
      }
      case "E.JobCancelled" -> {
        JobEvent.JobCancelled m = (JobEvent.JobCancelled) o;
        out.writeLong(m.stepsCompleted());
        string(out, m.reason());
      }
      default -> throw new IllegalArgumentException("no writer for " + manifest);
    }
  }

  @Override
  public Object fromBinary(byte[] data, String manifest) throws NotSerializableException {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
      return read(manifest, in);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read a " + manifest + " message: " + e.getMessage(), e);
    }
  }

  private Object read(String manifest, DataInputStream in) throws IOException {
    return switch (manifest) {
      case "W.Peers" -> {
        int n = in.readInt();
        List<ActorRef<StageWorker.Command>> owners = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          owners.add(ref(in));
        }
        yield new StageWorker.Peers(owners);
      }
      case "W.RunStep" -> new StageWorker.RunStep(OpProgram.parseFrom(bytes(in)), ref(in));
      case "W.ApplyUpdate" -> new StageWorker.ApplyUpdate(in.readLong(), in.readDouble(), ref(in));
      case "W.CollectWeights" -> new StageWorker.CollectWeights(ref(in));
      case "W.AbortStep" -> new StageWorker.AbortStep(in.readLong());
      case "W.StepReported" -> new StageWorker.StepReported(StepReport.parseFrom(bytes(in)));
      case "W.StepFailed" -> new StageWorker.StepFailed(ErrorReport.parseFrom(bytes(in)));
      case "W.UpdateApplied" -> new StageWorker.UpdateApplied(in.readInt(), in.readLong());
      case "W.WeightsReported" -> {
        int device = in.readInt();
        int n = in.readInt();
        SortedMap<Integer, byte[]> weights = new TreeMap<>();
        for (int i = 0; i < n; i++) {
          weights.put(in.readInt(), bytes(in));
        }
        yield new StageWorker.WeightsReported(device, weights);
      }
      case "W.UpdateFailed" -> new StageWorker.UpdateFailed(in.readInt(), in.readLong(), string(in));
      case "W.TakeCheckpoint" -> new StageWorker.TakeCheckpoint(in.readLong(), string(in), string(in), ref(in));
      case "W.CheckpointWritten" -> {
        int device = in.readInt();
        long step = in.readLong();
        int n = in.readInt();
        List<CheckpointFile> files = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          files.add(CheckpointFile.parseFrom(bytes(in)));
        }
        yield new StageWorker.CheckpointWritten(device, step, files, in.readDouble());
      }
      case "W.CheckpointFailed" -> new StageWorker.CheckpointFailed(in.readInt(), in.readLong(), string(in));
      case "E.Progress" -> new JobEvent.Progress(string(in), string(in));
      case "N.Describe" -> new NodeAgent.Describe(ref(in));
      case "N.SpawnWorkers" -> {
        JobSpec spec = JobSpec.parseFrom(bytes(in));
        int n = in.readInt();
        List<Integer> devices = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          devices.add(in.readInt());
        }
        int m = in.readInt();
        Map<String, String> planes = new HashMap<>();
        for (int i = 0; i < m; i++) {
          planes.put(string(in), string(in));
        }
        long restoreStep = in.readLong();
        yield new NodeAgent.SpawnWorkers(spec, devices, planes, restoreStep, bytes(in), ref(in));
      }
      case "N.ReleaseJob" -> new NodeAgent.ReleaseJob(string(in));
      case "N.Described" -> new NodeAgent.Described(Registration.parseFrom(bytes(in)));
      case "N.WorkersSpawned" -> {
        String job = string(in);
        String node = string(in);
        int n = in.readInt();
        Map<Integer, ActorRef<StageWorker.Command>> workers = new TreeMap<>();
        for (int i = 0; i < n; i++) {
          workers.put(in.readInt(), ref(in));
        }
        yield new NodeAgent.WorkersSpawned(job, node, workers);
      }
      case "N.SpawnFailed" -> new NodeAgent.SpawnFailed(string(in), string(in), string(in));
      case "N.NodeLeaving" -> new NodeAgent.NodeLeaving(string(in), string(in));
      case "J.SubmitJob" -> new JobMaster.SubmitJob(JobSpec.parseFrom(bytes(in)), in.readInt(), ref(in));
      case "E.StepCompleted" -> {
        long step = in.readLong();
        double loss = in.readDouble();
        double millis = in.readDouble();
        double[] units = new double[in.readInt()];
        for (int i = 0; i < units.length; i++) {
          units[i] = in.readDouble();
        }
        long[] peak = new long[in.readInt()];
        for (int i = 0; i < peak.length; i++) {
          peak[i] = in.readLong();
        }
        double norm = in.readDouble();
        int n = in.readInt();
        List<StepReport> reports = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          reports.add(StepReport.parseFrom(bytes(in)));
        }
        yield new JobEvent.StepCompleted(step, loss, millis, units, peak, norm, reports);
      }
      case "E.JobSucceeded" -> new JobEvent.JobSucceeded(in.readLong(), in.readDouble(), string(in));
      case "E.JobFailed" -> new JobEvent.JobFailed(string(in));
      case "J.CancelJob" -> new JobMaster.CancelJob(string(in), string(in));
      case "J.CheckpointJob" -> new JobMaster.CheckpointJob(string(in));
      case "J.DrainNode" -> new JobMaster.DrainNode(string(in));
      case "E.JobStarted" -> {
        String schedule = string(in);
        int n = in.readInt();
        List<String> nodes = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          nodes.add(string(in));
        }
        yield new JobEvent.JobStarted(schedule, nodes, in.readInt(), in.readLong());
      }
      case "E.JobCancelled" -> new JobEvent.JobCancelled(in.readLong(), string(in));
      default -> throw new IllegalArgumentException("unknown message manifest '" + manifest + "'");
    };
  }

  private void ref(DataOutputStream out, ActorRef<?> ref) throws IOException {
    string(out, resolver().toSerializationFormat(ref));
  }

  private <T> ActorRef<T> ref(DataInputStream in) throws IOException {
    return resolver().resolveActorRef(string(in));
  }

  private static void proto(DataOutputStream out, MessageLite message) throws IOException {
    bytes(out, message.toByteArray());
  }

  private static void bytes(DataOutputStream out, byte[] b) throws IOException {
    out.writeInt(b.length);
    out.write(b);
  }

  private static byte[] bytes(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0) {
      throw new InvalidProtocolBufferException("negative length " + n);
    }
    return in.readNBytes(n);
  }

  private static void string(DataOutputStream out, String s) throws IOException {
    bytes(out, s.getBytes(StandardCharsets.UTF_8));
  }

  private static String string(DataInputStream in) throws IOException {
    return new String(bytes(in), StandardCharsets.UTF_8);
  }
}
