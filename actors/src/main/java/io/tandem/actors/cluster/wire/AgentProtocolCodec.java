package io.tandem.actors.cluster.wire;

import static io.tandem.actors.cluster.wire.WireBinding.require;

import com.google.protobuf.ByteString;
import io.tandem.actors.worker.StageWorker;
import io.tandem.actors.cluster.NodeAgent;
import io.tandem.proto.AgentProtocol;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Converts {@link NodeAgent}'s cross-JVM commands and replies (manifests {@code N.*}) to and
 * from the {@link AgentProtocol} messages of {@code tandem.proto}.
 */
public final class AgentProtocolCodec {
  private final WireRefs refs;

  public AgentProtocolCodec(WireRefs refs) {
    this.refs = refs;
  }

  /** One binding per message. */
  public List<WireBinding<?, ?>> bindings() {
    return List.of(
        WireBinding.of("N.Describe", NodeAgent.Describe.class, AgentProtocol.Describe.getDefaultInstance(),
            m -> AgentProtocol.Describe.newBuilder().setReplyTo(refs.write(m.replyTo())).build(),
            p -> new NodeAgent.Describe(refs.read("reply_to", p.getReplyTo()))),
        WireBinding.of("N.SpawnWorkers", NodeAgent.SpawnWorkers.class, AgentProtocol.SpawnWorkers.getDefaultInstance(),
            this::encodeSpawnWorkers, this::decodeSpawnWorkers),
        WireBinding.of("N.SendSnapshot", NodeAgent.SendSnapshot.class, AgentProtocol.SendSnapshot.getDefaultInstance(),
            m -> AgentProtocol.SendSnapshot.newBuilder().setJobId(m.jobId()).setStep(m.step()).addAllLayers(m.layers())
                .setToHost(m.toHost()).setToPort(m.toPort()).build(),
            p -> new NodeAgent.SendSnapshot(p.getJobId(), p.getStep(), p.getLayersList(), p.getToHost(), p.getToPort())),
        WireBinding.of("N.SendShards", NodeAgent.SendShards.class, AgentProtocol.SendShards.getDefaultInstance(),
            m -> AgentProtocol.SendShards.newBuilder().setJobId(m.jobId()).setDir(m.dir()).setStep(m.step())
                .addAllFiles(m.files()).setKey(ByteString.copyFrom(m.key())).setToHost(m.toHost())
                .setToPort(m.toPort()).setReplyTo(refs.write(m.replyTo())).build(),
            p -> new NodeAgent.SendShards(p.getJobId(), p.getDir(), p.getStep(), List.copyOf(p.getFilesList()),
                p.getKey().toByteArray(), p.getToHost(), p.getToPort(), refs.read("reply_to", p.getReplyTo()))),
        WireBinding.of("N.ShardsUnavailable", NodeAgent.ShardsUnavailable.class,
            AgentProtocol.ShardsUnavailable.getDefaultInstance(),
            m -> AgentProtocol.ShardsUnavailable.newBuilder().setJobId(m.jobId()).setStep(m.step())
                .addAllLayers(m.layers()).setMessage(m.message()).build(),
            p -> new NodeAgent.ShardsUnavailable(p.getJobId(), p.getStep(), List.copyOf(p.getLayersList()),
                p.getMessage())),
        WireBinding.of("N.DropSnapshots", NodeAgent.DropSnapshots.class, AgentProtocol.DropSnapshots.getDefaultInstance(),
            m -> AgentProtocol.DropSnapshots.newBuilder().setJobId(m.jobId()).build(),
            p -> new NodeAgent.DropSnapshots(p.getJobId())),
        WireBinding.of("N.DataPlanePeerLost", NodeAgent.DataPlanePeerLost.class,
            AgentProtocol.DataPlanePeerLost.getDefaultInstance(),
            m -> AgentProtocol.DataPlanePeerLost.newBuilder().setJobId(m.jobId()).setNode(m.node())
                .setEndpoint(m.endpoint()).build(),
            p -> new NodeAgent.DataPlanePeerLost(p.getJobId(), p.getNode(), p.getEndpoint())),
        WireBinding.of("N.SnapshotHeld", NodeAgent.SnapshotHeld.class, AgentProtocol.SnapshotHeld.getDefaultInstance(),
            m -> AgentProtocol.SnapshotHeld.newBuilder().setJobId(m.jobId()).setNode(m.node()).setStep(m.step())
                .addAllLayers(m.layers()).build(),
            p -> new NodeAgent.SnapshotHeld(p.getJobId(), p.getNode(), p.getStep(), List.copyOf(p.getLayersList()))),
        WireBinding.of("N.ReleaseJob", NodeAgent.ReleaseJob.class, AgentProtocol.ReleaseJob.getDefaultInstance(),
            m -> {
              AgentProtocol.ReleaseJob.Builder b = AgentProtocol.ReleaseJob.newBuilder().setJobId(m.jobId());
              if (m.keepStateReplyTo() != null) {
                b.setKeepStateReplyTo(refs.write(m.keepStateReplyTo()));
              }
              return b.build();
            },
            p -> new NodeAgent.ReleaseJob(p.getJobId(), p.getKeepStateReplyTo().isEmpty() ? null
                : refs.read("keep_state_reply_to", p.getKeepStateReplyTo()))),
        WireBinding.of("N.StateKept", NodeAgent.StateKept.class, AgentProtocol.StateKept.getDefaultInstance(),
            m -> AgentProtocol.StateKept.newBuilder().setJobId(m.jobId()).setNode(m.node()).build(),
            p -> new NodeAgent.StateKept(p.getJobId(), p.getNode())),
        WireBinding.of("N.Described", NodeAgent.Described.class, AgentProtocol.Described.getDefaultInstance(),
            m -> AgentProtocol.Described.newBuilder().setRegistration(m.registration()).build(),
            p -> {
              require(p.hasRegistration(), "registration");
              return new NodeAgent.Described(p.getRegistration());
            }),
        WireBinding.of("N.WorkersSpawned", NodeAgent.WorkersSpawned.class,
            AgentProtocol.WorkersSpawned.getDefaultInstance(), this::encodeWorkersSpawned, this::decodeWorkersSpawned),
        WireBinding.of("N.SpawnFailed", NodeAgent.SpawnFailed.class, AgentProtocol.SpawnFailed.getDefaultInstance(),
            m -> AgentProtocol.SpawnFailed.newBuilder().setJobId(m.jobId()).setNode(m.node())
                .setMessage(m.message()).build(),
            p -> new NodeAgent.SpawnFailed(p.getJobId(), p.getNode(), p.getMessage())),
        WireBinding.of("N.NodeLeaving", NodeAgent.NodeLeaving.class, AgentProtocol.NodeLeaving.getDefaultInstance(),
            m -> AgentProtocol.NodeLeaving.newBuilder().setJobId(m.jobId()).setNode(m.node()).build(),
            p -> new NodeAgent.NodeLeaving(p.getJobId(), p.getNode())));
  }

  private AgentProtocol.SpawnWorkers encodeSpawnWorkers(NodeAgent.SpawnWorkers m) {
    AgentProtocol.SpawnWorkers.Builder b = AgentProtocol.SpawnWorkers.newBuilder().setSpec(m.spec())
        .addAllDevices(m.devices()).putAllDataPlanes(m.dataPlanes()).setRestoreStep(m.restoreStep())
        .setDataPlaneKey(ByteString.copyFrom(m.dataPlaneKey())).setReplyTo(refs.write(m.replyTo()))
        .setSnapshotJob(m.snapshots().job()).setSnapshotKey(ByteString.copyFrom(m.snapshots().key()))
        .setSnapshotPeer(m.snapshots().peer());
    m.snapshots().sources().forEach((layer, agent) -> b.putSnapshotSources(layer, refs.write(agent)));
    if (m.shards().manifest() != null) {
      b.setRestoreManifest(m.shards().manifest());
    }
    m.shards().holders().forEach((layer, agent) -> b.putShardSources(layer, refs.write(agent)));
    return b.build();
  }

  private NodeAgent.SpawnWorkers decodeSpawnWorkers(AgentProtocol.SpawnWorkers p) {
    require(p.hasSpec(), "spec");
    Map<Integer, ActorRef<NodeAgent.Command>> sources = new TreeMap<>();
    p.getSnapshotSourcesMap().forEach((layer, agent) ->
        sources.put(layer, refs.read("snapshot_sources[" + layer + "]", agent)));
    NodeAgent.Snapshots snapshots = p.getSnapshotJob().isEmpty() ? NodeAgent.Snapshots.NONE
        : new NodeAgent.Snapshots(p.getSnapshotJob(), p.getSnapshotKey().toByteArray(), p.getSnapshotPeer(), sources);
    Map<Integer, ActorRef<NodeAgent.Command>> holders = new TreeMap<>();
    p.getShardSourcesMap().forEach((layer, agent) ->
        holders.put(layer, refs.read("shard_sources[" + layer + "]", agent)));
    NodeAgent.DiskShards shards = p.hasRestoreManifest() || !holders.isEmpty()
        ? new NodeAgent.DiskShards(p.hasRestoreManifest() ? p.getRestoreManifest() : null, holders)
        : NodeAgent.DiskShards.NONE;
    return new NodeAgent.SpawnWorkers(p.getSpec(), p.getDevicesList(), new HashMap<>(p.getDataPlanesMap()),
        p.getRestoreStep(), p.getDataPlaneKey().toByteArray(), refs.read("reply_to", p.getReplyTo()), snapshots,
        shards);
  }

  private AgentProtocol.WorkersSpawned encodeWorkersSpawned(NodeAgent.WorkersSpawned m) {
    AgentProtocol.WorkersSpawned.Builder b = AgentProtocol.WorkersSpawned.newBuilder().setJobId(m.jobId())
        .setNode(m.node());
    m.workers().forEach((device, worker) -> b.putWorkers(device, refs.write(worker)));
    return b.build();
  }

  private NodeAgent.WorkersSpawned decodeWorkersSpawned(AgentProtocol.WorkersSpawned p) {
    Map<Integer, ActorRef<StageWorker.Command>> workers = new TreeMap<>();
    p.getWorkersMap().forEach((device, worker) -> workers.put(device, refs.read("workers[" + device + "]", worker)));
    return new NodeAgent.WorkersSpawned(p.getJobId(), p.getNode(), workers);
  }
}
