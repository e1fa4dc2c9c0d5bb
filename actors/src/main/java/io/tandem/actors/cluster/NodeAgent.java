package io.tandem.actors.cluster;

import io.tandem.actors.transport.DataPlaneTransport;
import io.tandem.actors.worker.ComputeProvider;
import io.tandem.actors.worker.DeviceCompute;
import io.tandem.actors.JobFactory;
import io.tandem.actors.worker.StageWorker;
import io.tandem.actors.checkpoint.Checkpoint;
import io.tandem.actors.checkpoint.CheckpointStore;
import java.nio.file.Path;
import io.tandem.actors.transport.DataPlaneClient;
import io.tandem.actors.transport.StageDirectory;
import io.tandem.kernels.CudaDevices;
import io.tandem.kernels.LocalDevice;
import io.tandem.proto.DeviceDescription;
import io.tandem.proto.JobSpec;
import io.tandem.proto.Registration;
import io.tandem.schedule.Schedule;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * One per worker JVM. Registers with the Receptionist under {@link #SERVICE_KEY}, describes its
 * devices and data plane endpoint, and on a plan opens its devices (the model is built here
 * from the job spec's seed: weights never travel), spawns their stage workers and makes them
 * reachable from the data plane. Releasing a job stops its workers and closes its devices.
 */
public final class NodeAgent extends AbstractBehavior<NodeAgent.Command> {

  /** Every node agent registers under this key. */
  public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "tandem-node-agent");

  /** Messages a node agent accepts. */
  public sealed interface Command {}

  /** Reply with this node's {@link Registration}. */
  public record Describe(ActorRef<Reply> replyTo) implements Command {}

  /**
   * Open {@code devices} (schedule device indices) of the job and spawn their stage workers.
   * {@code devices.get(i)} opens this node's device of local ordinal {@code i} (its CUDA
   * ordinal for a cuda job): {@link DevicePlacement} numbers each node's slots that way.
   *
   * @param dataPlanes data plane {@code host:port} of every node of the job, by node address
   * @param restoreStep load the layers from the checkpoint of this step in the spec's
   *     checkpoint directory; -1 = start from the seeded initialization
   * @param dataPlaneKey the job's data plane key (frames of the job are signed with it)
   * @param snapshots the job's in-memory peer snapshots on this node
   */
  public record SpawnWorkers(JobSpec spec, List<Integer> devices, Map<String, String> dataPlanes,
      long restoreStep, byte[] dataPlaneKey, ActorRef<Reply> replyTo, Snapshots snapshots, DiskShards shards)
      implements Command {
    public SpawnWorkers(JobSpec spec, List<Integer> devices, Map<String, String> dataPlanes, long restoreStep,
        byte[] dataPlaneKey, ActorRef<Reply> replyTo) {
      this(spec, devices, dataPlanes, restoreStep, dataPlaneKey, replyTo, Snapshots.NONE, DiskShards.NONE);
    }

    public SpawnWorkers(JobSpec spec, List<Integer> devices, Map<String, String> dataPlanes, long restoreStep,
        byte[] dataPlaneKey, ActorRef<Reply> replyTo, Snapshots snapshots) {
      this(spec, devices, dataPlanes, restoreStep, dataPlaneKey, replyTo, snapshots, DiskShards.NONE);
    }
  }

  /**
   * A restore from a disk checkpoint without a shared file system (DESIGN.md "Checkpoints without
   * a shared disk"): the checkpoint's manifest, as the coordinator committed it, and the node agent
   * of the node whose disk holds each layer file. A node reads the files it has on its own disk
   * and asks the holders for the others ({@link SendShards}).
   *
   * @param manifest the manifest of the checkpoint restored; null = read it from this node's disk
   * @param holders by layer, the agent of the node that wrote its file (layers of nodes not in the
   *     cluster are absent)
   */
  public record DiskShards(io.tandem.proto.CheckpointManifest manifest, Map<Integer, ActorRef<Command>> holders) {
    public static final DiskShards NONE = new DiskShards(null, Map.of());

    public DiskShards {
      holders = Map.copyOf(holders);
    }
  }

  /**
   * Read {@code files} of the checkpoint after {@code step} steps from this node's disk (the job's
   * checkpoint directory {@code dir}), check each against its manifest entry and send it to the
   * data plane at {@code toHost:toPort} signed with {@code key}; tell {@code replyTo} about any it
   * cannot send.
   */
  public record SendShards(String jobId, String dir, long step, List<io.tandem.proto.CheckpointFile> files,
      byte[] key, String toHost, int toPort, ActorRef<Command> replyTo) implements Command {}

  /** Node {@code SendShards} was sent to could not send {@code layers}: {@code message} says why. */
  public record ShardsUnavailable(String jobId, long step, List<Integer> layers, String message) implements Command {}

  /**
   * A job's in-memory peer snapshots as one node keeps them (issue 14).
   *
   * @param job the job's id, stable over re-plans ("" = no snapshots)
   * @param key the job's snapshot key: shards on the data plane are signed with it
   * @param peer data plane {@code host:port} of the node that keeps this node's copies ("" = none)
   * @param sources not empty: the attempt restores the snapshot of its restore step from memory,
   *     and this names the node agent holding each layer of it
   */
  public record Snapshots(String job, byte[] key, String peer, Map<Integer, ActorRef<Command>> sources) {
    public static final Snapshots NONE = new Snapshots("", new byte[0], "", Map.of());

    public Snapshots {
      sources = Map.copyOf(sources);
    }

    public boolean on() {
      return !job.isEmpty();
    }
  }

  /** Send {@code layers} of the job's snapshot after {@code step} steps, held here, to the data plane at {@code toHost:toPort}. */
  public record SendSnapshot(String jobId, long step, List<Integer> layers, String toHost, int toPort)
      implements Command {}

  /** The job ended: forget its snapshots and its snapshot key. */
  public record DropSnapshots(String jobId) implements Command {}

  /**
   * Stop the job's workers and close its devices. With {@code keepStateReplyTo}, first keep each
   * worker's live layer states in this node's snapshot store, labelled with the steps they hold
   * ({@link io.tandem.actors.worker.StageCompute#stepsApplied}), report them ({@link SnapshotHeld})
   * and answer {@link StateKept}: after a failure a surviving data-parallel replica then holds
   * the state of the step the job completed last, so nothing is recomputed (issue 14).
   */
  public record ReleaseJob(String jobId, ActorRef<Reply> keepStateReplyTo) implements Command {
    public ReleaseJob(String jobId) {
      this(jobId, null);
    }
  }

  /** This node kept the live states of job {@code jobId}'s released workers (or had none to keep). */
  public record StateKept(String jobId, String node) implements Reply {}

  private record Opened(SpawnWorkers request, Schedule schedule, List<DeviceCompute> devices, Throwable error)
      implements Command {}

  /** What a node agent answers. */
  public sealed interface Reply {}

  public record Described(Registration registration) implements Reply {}

  /** The job's stage workers on this node, by schedule device. */
  public record WorkersSpawned(String jobId, String node, Map<Integer, ActorRef<StageWorker.Command>> workers)
      implements Reply {}

  public record SpawnFailed(String jobId, String node, String message) implements Reply {}

  /**
   * This node ({@code node}) lost its data plane connection to {@code endpoint} ({@code host:port}):
   * the peer closed or reset it, as its OS does when its process dies. A hint for job {@code jobId}
   * to probe the node behind it, not a verdict.
   */
  public record DataPlanePeerLost(String jobId, String node, String endpoint) implements Reply {}

  /** The data plane client saw a peer's connection end (local only). */
  private record PeerLost(String endpoint) implements Command {}

  /** This node ({@code node}) holds {@code layers} of job {@code jobId}'s snapshot after {@code step} steps. */
  public record SnapshotHeld(String jobId, String node, long step, List<Integer> layers) implements Reply {}

  /**
   * This node is shutting down gracefully (coordinated shutdown) while it runs workers of
   * {@code jobId}: the job should checkpoint and release it; the node leaves the cluster once
   * every job has released it (or after {@code tandem-drain}'s phase timeout).
   */
  public record NodeLeaving(String jobId, String node) implements Reply {}

  /**
   * A CUDA device of this node was poisoned by a driver error (local only): the node leaves the
   * cluster gracefully (its jobs re-plan without it) so its worker process can restart.
   */
  private record DevicePoisoned(String message) implements Command {}

  /** Why a node with a poisoned device shuts down. */
  private enum DeviceFailed implements org.apache.pekko.actor.CoordinatedShutdown.Reason { INSTANCE }

  /** Coordinated shutdown asks to be told once no job runs here any more (local only). */
  private record Drain(ActorRef<org.apache.pekko.Done> replyTo) implements Command {}

  private record JobOnNode(List<ActorRef<StageWorker.Command>> workers, List<DeviceCompute> devices,
      ActorRef<Reply> jobRun, String snapshotJob, long restoreStep) {}

  private final List<ActorRef<org.apache.pekko.Done>> drains = new ArrayList<>();

  private final Address self;
  private final int deviceCount;
  private final CudaDevices cuda;
  private final List<LocalDevice> gpus;
  private final String dataPlaneHost;
  private final int dataPlanePort;
  private final StageDirectory directory;
  private final DataPlaneClient client;
  private final ExecutorService setup = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "node-agent-setup");
    t.setDaemon(true);
    return t;
  });
  private final Map<String, JobOnNode> jobs = new HashMap<>();
  /** Attempts released while their devices were being opened: a restore waiting for snapshot layers gives up. */
  private final java.util.Set<String> abandoned = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** By job id (stable over re-plans): its snapshot key, and the job actor told what this node holds. */
  private final Map<String, byte[]> snapshotKeys = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<String, ActorRef<Reply>> snapshotOwners = new java.util.concurrent.ConcurrentHashMap<>();
  /** This node's own disk: where job paths (checkpoint directories) live here. */
  private final io.tandem.actors.checkpoint.NodeDisk disk;
  /** This agent, for threads other than the actor's (which may not touch its ActorContext). */
  private final ActorRef<Command> selfRef;
  /** Disk checkpoint layers another node could not send us, by "job/step/layer": why. */
  private final Map<String, String> shardFailures = new java.util.concurrent.ConcurrentHashMap<>();
  /** Restore transfers to other nodes: packing and queueing a large state is not for the actor's thread. */
  private final ExecutorService transfers = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "node-agent-snapshot-transfer");
    t.setDaemon(true);
    return t;
  });

  private NodeAgent(ActorContext<Command> context, Address self, int deviceCount, CudaDevices cuda,
      List<LocalDevice> gpus, String dataPlaneHost, int dataPlanePort, StageDirectory directory,
      DataPlaneClient client) {
    super(context);
    this.self = self;
    this.deviceCount = deviceCount;
    ActorRef<Command> poisoned = context.getSelf();
    this.cuda = cuda.onPoisoned(message -> poisoned.tell(new DevicePoisoned(message)));
    this.gpus = List.copyOf(gpus);
    this.dataPlaneHost = dataPlaneHost;
    this.dataPlanePort = dataPlanePort;
    this.directory = directory;
    this.client = client;
    this.disk = io.tandem.actors.checkpoint.NodeDisk.of(context.getSystem().settings().config());
    this.selfRef = context.getSelf();
    directory.snapshots().onBatchHeld(b -> heldHere(b.job(), b.step(), b.layers()));
    ActorRef<Command> agent = context.getSelf();
    client.onPeerLost(endpoint -> agent.tell(new PeerLost(endpoint)));
    context.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, context.getSelf()));
    // a graceful leave first lets the jobs running here checkpoint and move off this node
    ActorRef<Command> me = context.getSelf();
    org.apache.pekko.actor.typed.ActorSystem<?> system = context.getSystem();
    org.apache.pekko.actor.CoordinatedShutdown.get(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system))
        .addTask(org.apache.pekko.actor.CoordinatedShutdown.PhaseBeforeClusterShutdown(), "tandem-drain-node",
            () -> org.apache.pekko.actor.typed.javadsl.AskPattern.<Command, org.apache.pekko.Done>ask(me, Drain::new,
                java.time.Duration.ofSeconds(60), system.scheduler()).exceptionally(e -> org.apache.pekko.Done.done()));
  }

  /**
   * @param self this node's cluster address
   * @param deviceCount CPU devices this node offers
   * @param cuda opens this node's CUDA devices by local ordinal
   * @param gpus this node's CUDA devices, as {@code cuda} discovered them (before: discovery
   *     calls the driver, so not on an actor thread)
   * @param directory where the node's data plane server finds the workers
   * @param client this node's data plane sender
   */
  public static Behavior<Command> create(Address self, int deviceCount, CudaDevices cuda, List<LocalDevice> gpus,
      String dataPlaneHost, int dataPlanePort, StageDirectory directory, DataPlaneClient client) {
    return Behaviors.setup(ctx -> new NodeAgent(ctx, self, deviceCount, cuda, gpus, dataPlaneHost, dataPlanePort,
        directory, client));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Describe.class, this::onDescribe)
        .onMessage(SpawnWorkers.class, this::onSpawn)
        .onMessage(Opened.class, this::onOpened)
        .onMessage(ReleaseJob.class, this::onRelease)
        .onMessage(SendSnapshot.class, this::onSendSnapshot)
        .onMessage(SendShards.class, this::onSendShards)
        .onMessage(ShardsUnavailable.class, this::onShardsUnavailable)
        .onMessage(PeerLost.class, this::onPeerLost)
        .onMessage(DropSnapshots.class, this::onDropSnapshots)
        .onMessage(Drain.class, this::onDrain)
        .onMessage(DevicePoisoned.class, this::onDevicePoisoned)
        .onSignal(PostStop.class, s -> onStop())
        .build();
  }

  private Behavior<Command> onDescribe(Describe msg) {
    Registration.Builder r = Registration.newBuilder().setNode(self.toString())
        .setAgentPath(getContext().getSelf().path().toString())
        .setDataPlaneHost(dataPlaneHost).setDataPlanePort(dataPlanePort);
    int cpus = Math.max(1, deviceCount);
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / cpus);
    for (int d = 0; d < deviceCount; d++) {
      r.addDevices(DeviceDescription.newBuilder().setKind("cpu").setName(self.hostPort() + "/cpu" + d)
          .setOrdinal(d).setMemoryBytes(Runtime.getRuntime().maxMemory() / cpus).setThreads(threads));
    }
    for (LocalDevice g : gpus) {
      r.addDevices(DeviceDescription.newBuilder().setKind(g.kind()).setName(g.name()).setOrdinal(g.ordinal())
          .setMemoryBytes(g.memoryBytes()).setThreads(g.threads()).setComputeCapability(g.computeCapability())
          .setDriverVersion(g.driverVersion()).setFake(g.fake()));
    }
    msg.replyTo().tell(new Described(r.build()));
    return this;
  }

  private Behavior<Command> onSpawn(SpawnWorkers msg) {
    String jobId = msg.spec().getJobId();
    if (jobs.containsKey(jobId)) {
      msg.replyTo().tell(new SpawnFailed(jobId, self.toString(), "job '" + jobId + "' already has workers on this node"));
      return this;
    }
    Snapshots snapshots = msg.snapshots();
    if (snapshots.on()) { // before any peer's shard or restore transfer of the job can arrive
      directory.authorize(io.tandem.actors.transport.SnapshotFrames.channel(snapshots.job()), snapshots.key());
      snapshotKeys.put(snapshots.job(), snapshots.key().clone());
      snapshotOwners.put(snapshots.job(), msg.replyTo());
    }
    // building the model from (seed, layer) takes a while: not on the dispatcher
    CompletableFuture<Opened> opened = CompletableFuture.supplyAsync(() -> open(msg), setup);
    getContext().pipeToSelf(opened, (ok, err) -> ok != null ? ok : new Opened(msg, null, List.of(), err));
    return this;
  }

  private Opened open(SpawnWorkers msg) {
    Schedule schedule = JobFactory.schedule(msg.spec());
    ComputeProvider provider = JobFactory.provider(msg.spec(), schedule, cuda, msg.devices().size());
    List<DeviceCompute> opened = new ArrayList<>();
    try {
      boolean fromMemory = msg.restoreStep() >= 0 && !msg.snapshots().sources().isEmpty();
      java.util.function.IntFunction<byte[]> restore = msg.restoreStep() < 0 ? null
          : fromMemory ? fetchSnapshot(msg, provider, schedule) : fromDisk(msg, provider, schedule);
      for (int i = 0; i < msg.devices().size(); i++) {
        DeviceCompute device = provider.open(msg.devices().get(i), i, schedule); // local ordinal i
        opened.add(device);
        if (restore != null) {
          device.compute().restore(restore);
        }
      }
    } catch (RuntimeException e) {
      opened.forEach(DeviceCompute::close);
      return new Opened(msg, schedule, List.of(), e);
    }
    return new Opened(msg, schedule, opened, null);
  }

  /**
   * The layers this node's devices need of the in-memory snapshot to restore: asks the nodes
   * holding those it lacks to send them (on the setup thread; the sources answer over the data
   * plane), and returns the lookup that waits for each layer.
   */
  private java.util.function.IntFunction<byte[]> fetchSnapshot(SpawnWorkers msg,
      ComputeProvider provider, Schedule schedule) {
    Snapshots snapshots = msg.snapshots();
    long step = msg.restoreStep();
    io.tandem.actors.transport.SnapshotStore store = directory.snapshots();
    Map<ActorRef<Command>, List<Integer>> asks = new HashMap<>();
    for (int layer : layersOf(msg.devices(), provider, schedule)) {
      if (store.get(snapshots.job(), step, layer).isEmpty()) {
        ActorRef<Command> source = snapshots.sources().get(layer);
        if (source == null) {
          throw new IllegalStateException("no node holds layer " + layer + " of the snapshot after step " + step);
        }
        asks.computeIfAbsent(source, s -> new ArrayList<>()).add(layer);
      }
    }
    asks.forEach((source, layers) -> source.tell(new SendSnapshot(snapshots.job(), step, layers, dataPlaneHost,
        dataPlanePort)));
    return layer -> {
      try {
        return store.await(snapshots.job(), step, layer, SNAPSHOT_FETCH_TIMEOUT,
            () -> abandoned.contains(msg.spec().getJobId()));
      } catch (java.util.concurrent.TimeoutException e) {
        throw new IllegalStateException("restoring from peer memory: " + e.getMessage(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("restoring from peer memory: interrupted", e);
      }
    };
  }

  /**
   * The layers of the disk checkpoint to restore: those whose file is on this node's disk read
   * from it; the others asked of the node that wrote them ({@link SendShards}, answered over the
   * data plane) and awaited, each checked against the manifest's SHA-256 by its sender. Without a
   * manifest in {@code msg}, the checkpoint is read from this node's disk alone.
   */
  private java.util.function.IntFunction<byte[]> fromDisk(SpawnWorkers msg, ComputeProvider provider,
      Schedule schedule) {
    long step = msg.restoreStep();
    ActorRef<Command> me = selfRef; // runs on the setup thread: no ActorContext here
    Path dir = disk.resolve(msg.spec().getCheckpointDir());
    io.tandem.proto.CheckpointManifest manifest = msg.shards().manifest();
    Checkpoint checkpoint = manifest == null ? CheckpointStore.read(dir, step)
        : new Checkpoint(dir.resolve("step-" + step), manifest);
    Snapshots snapshots = msg.snapshots();
    Map<ActorRef<Command>, List<io.tandem.proto.CheckpointFile>> asks = new HashMap<>();
    java.util.Set<Integer> remote = new java.util.HashSet<>();
    java.util.Set<Integer> needed = layersOf(msg.devices(), provider, schedule);
    for (io.tandem.proto.CheckpointFile f : checkpoint.manifest().getFilesList()) {
      if (!needed.contains(f.getLayer())
          || java.nio.file.Files.exists(checkpoint.dir().resolve(f.getName()))) {
        continue;
      }
      ActorRef<Command> holder = msg.shards().holders().get(f.getLayer());
      if (holder == null || holder.equals(me) || !snapshots.on()) {
        continue; // reading it here names the file, and the node that wrote it
      }
      asks.computeIfAbsent(holder, h -> new ArrayList<>()).add(f);
      remote.add(f.getLayer());
    }
    org.slf4j.LoggerFactory.getLogger(NodeAgent.class).info("job {}: restoring checkpoint step-{}: layer files {}"
        + " from the nodes that wrote them", msg.spec().getJobId(), step, remote);
    asks.forEach((holder, files) -> holder.tell(new SendShards(snapshots.job(), msg.spec().getCheckpointDir(), step,
        files, snapshots.key(), dataPlaneHost, dataPlanePort, me)));
    io.tandem.actors.transport.SnapshotStore store = directory.snapshots();
    return layer -> {
      if (!remote.contains(layer)) {
        return checkpoint.layer(layer);
      }
      String key = shardKey(snapshots.job(), step, layer);
      String failed = shardFailures.remove(key);
      try {
        byte[] state = failed != null ? null : store.await(snapshots.job(), step, layer, SNAPSHOT_FETCH_TIMEOUT,
            () -> abandoned.contains(msg.spec().getJobId()) || shardFailures.containsKey(key));
        if (state != null) {
          return state;
        }
      } catch (java.util.concurrent.TimeoutException e) {
        failed = shardFailures.remove(key);
        if (failed == null) {
          failed = e.getMessage();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failed = "interrupted";
      }
      throw new io.tandem.actors.checkpoint.CheckpointException("restoring layer " + layer + " of checkpoint step-"
          + step + " from the node that wrote it: " + failed);
    };
  }

  private Behavior<Command> onSendShards(SendShards msg) {
    Path dir = disk.resolve(msg.dir()).resolve("step-" + msg.step());
    ActorRef<Command> replyTo = msg.replyTo();
    String node = self.toString();
    transfers.execute(() -> {
      for (io.tandem.proto.CheckpointFile f : msg.files()) {
        byte[] state;
        try {
          state = CheckpointStore.verifiedPayload(dir, f);
        } catch (RuntimeException e) {
          replyTo.tell(new ShardsUnavailable(msg.jobId(), msg.step(), List.of(f.getLayer()), "node " + node + ": "
              + e.getMessage()));
          continue;
        }
        PeerSnapshotSink.sendForRestore(client, msg.jobId(), msg.key(), msg.step(), f.getLayer(), state,
            msg.toHost(), msg.toPort(), why -> replyTo.tell(new ShardsUnavailable(msg.jobId(), msg.step(),
                List.of(f.getLayer()), "node " + node + " could not send it: " + why)));
      }
    });
    return this;
  }

  private Behavior<Command> onShardsUnavailable(ShardsUnavailable msg) {
    // a restore waiting for one of these layers gives up within 200 ms
    msg.layers().forEach(l -> shardFailures.put(shardKey(msg.jobId(), msg.step(), l), msg.message()));
    return this;
  }

  /** The key of {@link #shardFailures}. */
  private static String shardKey(String job, long step, int layer) {
    return job + "/" + step + "/" + layer;
  }

  /** How long a restore waits for a layer of an in-memory snapshot from its holder. */
  private static final java.time.Duration SNAPSHOT_FETCH_TIMEOUT = java.time.Duration.ofSeconds(60);

  /** The layers the schedule devices {@code devices} hold (none for a backend without layers). */
  private static java.util.SortedSet<Integer> layersOf(List<Integer> devices, ComputeProvider provider,
      Schedule schedule) {
    java.util.SortedSet<Integer> layers = new java.util.TreeSet<>();
    if (provider instanceof io.tandem.actors.worker.ModelComputeProvider model) {
      io.tandem.actors.worker.Partition p = model.partition(schedule);
      for (int d : devices) {
        for (int v : schedule.placement().stagesOf(d % schedule.devices())) {
          for (int l = p.first(v); l < p.end(v); l++) {
            layers.add(l);
          }
        }
      }
    }
    return layers;
  }

  private Behavior<Command> onSendSnapshot(SendSnapshot msg) {
    byte[] key = snapshotKeys.get(msg.jobId());
    if (key == null) {
      getContext().getLog().warn("asked to send a snapshot of job '{}', whose snapshot key this node lacks", msg.jobId());
      return this;
    }
    io.tandem.actors.transport.SnapshotStore store = directory.snapshots();
    org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(NodeAgent.class);
    transfers.execute(() -> PeerSnapshotSink.transfer(store, client, msg.jobId(), key, msg.step(), msg.layers(),
        msg.toHost(), msg.toPort(), why -> log.warn("job '{}': restore transfer: {}", msg.jobId(), why)));
    return this;
  }

  private Behavior<Command> onPeerLost(PeerLost msg) {
    jobs.forEach((jobId, job) -> job.jobRun().tell(new DataPlanePeerLost(jobId, self.toString(), msg.endpoint())));
    return this;
  }

  private Behavior<Command> onDropSnapshots(DropSnapshots msg) {
    snapshotKeys.remove(msg.jobId());
    snapshotOwners.remove(msg.jobId());
    directory.snapshots().drop(msg.jobId());
    directory.unregister(io.tandem.actors.transport.SnapshotFrames.channel(msg.jobId()));
    return this;
  }

  /** Tells the job that this node holds these layers of a snapshot (any thread). */
  private void heldHere(String job, long step, List<Integer> layers) {
    ActorRef<Reply> owner = snapshotOwners.get(job);
    if (owner != null) {
      owner.tell(new SnapshotHeld(job, self.toString(), step, layers));
    }
  }

  private Behavior<Command> onOpened(Opened o) {
    SpawnWorkers msg = o.request();
    String jobId = msg.spec().getJobId();
    if (abandoned.remove(jobId)) { // released while its devices opened: the job has moved on
      List<DeviceCompute> devices = o.devices();
      setup.execute(() -> devices.forEach(DeviceCompute::close));
      getContext().getLog().info("job {}: released while its devices opened; closed them", jobId);
      return this;
    }
    if (o.error() != null) {
      Throwable c = o.error().getCause() != null && o.error() instanceof java.util.concurrent.CompletionException
          ? o.error().getCause() : o.error();
      msg.replyTo().tell(new SpawnFailed(jobId, self.toString(), "opening devices " + msg.devices() + " failed: "
          + (c.getMessage() == null ? c.toString() : c.getMessage())));
      return this;
    }
    Schedule schedule = o.schedule();
    DataPlaneTransport transport = new DataPlaneTransport(self, msg.dataPlanes(), client, msg.dataPlaneKey(),
        directory.lanes());
    directory.authorize(jobId, msg.dataPlaneKey());
    Map<Integer, ActorRef<StageWorker.Command>> spawned = new TreeMap<>();
    List<ActorRef<StageWorker.Command>> workers = new ArrayList<>();
    for (int i = 0; i < msg.devices().size(); i++) {
      int d = msg.devices().get(i);
      DeviceCompute device = o.devices().get(i);
      int replica = d / schedule.devices(); // data parallelism: device r*p + d' is device d' of replica r
      Set<Integer> stages = Set.copyOf(schedule.placement().stagesOf(d % schedule.devices()));
      ActorRef<StageWorker.Command> w = getContext().spawn(StageWorker.create(jobId, d, schedule.stages(),
          schedule.chunksPerDevice(), stages, device.compute(), device.executor(), transport, snapshotSink(msg)),
          "worker-" + jobId.replaceAll("[^A-Za-z0-9_-]", "-") + "-" + d);
      stages.forEach(v -> directory.register(jobId, replica, v, w));
      spawned.put(d, w);
      workers.add(w);
    }
    jobs.put(jobId, new JobOnNode(workers, o.devices(), msg.replyTo(), msg.snapshots().job(), msg.restoreStep()));
    if (!drains.isEmpty()) {
      msg.replyTo().tell(new NodeLeaving(jobId, self.toString()));
    }
    getContext().getLog().info("job {}: devices {} ready on {}", jobId, msg.devices(), self);
    msg.replyTo().tell(new WorkersSpawned(jobId, self.toString(), spawned));
    return this;
  }

  /** Where the workers of {@code msg}'s job keep their in-memory snapshots (null: none). */
  private io.tandem.actors.worker.SnapshotSink snapshotSink(SpawnWorkers msg) {
    Snapshots snapshots = msg.snapshots();
    if (!snapshots.on()) {
      return null;
    }
    String host = null;
    int port = 0;
    int colon = snapshots.peer().lastIndexOf(':');
    if (colon > 0) {
      host = snapshots.peer().substring(0, colon);
      port = Integer.parseInt(snapshots.peer().substring(colon + 1));
    }
    String job = snapshots.job();
    return new PeerSnapshotSink(directory.snapshots(), client, job, snapshots.key(), host, port,
        (step, layers) -> heldHere(job, step, layers));
  }

  private Behavior<Command> onDevicePoisoned(DevicePoisoned msg) {
    getContext().getLog().error("{}; {} leaves the cluster so that its worker restarts", msg.message(), self);
    org.apache.pekko.actor.CoordinatedShutdown.get(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(
        getContext().getSystem())).run(DeviceFailed.INSTANCE); // asynchronous; a second run is a no-op
    return this;
  }

  private Behavior<Command> onDrain(Drain msg) {
    if (jobs.isEmpty()) {
      msg.replyTo().tell(org.apache.pekko.Done.done());
      return this;
    }
    drains.add(msg.replyTo());
    getContext().getLog().info("{} leaving: asking jobs {} to move off this node", self, jobs.keySet());
    jobs.forEach((jobId, job) -> job.jobRun().tell(new NodeLeaving(jobId, self.toString())));
    return this;
  }

  private Behavior<Command> onRelease(ReleaseJob msg) {
    JobOnNode job = jobs.remove(msg.jobId());
    if (job == null) {
      abandoned.add(msg.jobId()); // perhaps still opening: let a restore waiting for snapshot layers give up
    }
    if (jobs.isEmpty() && !drains.isEmpty()) {
      drains.forEach(d -> d.tell(org.apache.pekko.Done.done()));
      drains.clear();
    }
    directory.unregister(msg.jobId());
    ActorRef<Reply> keptTo = msg.keepStateReplyTo();
    String node = self.toString();
    if (job != null) {
      job.workers().forEach(getContext()::stop);
      setup.execute(() -> { // waits for ops in flight: not here
        if (keptTo != null) {
          keepState(job);
        }
        job.devices().forEach(DeviceCompute::close);
        if (keptTo != null) {
          keptTo.tell(new StateKept(msg.jobId(), node));
        }
      });
      getContext().getLog().info("job {} released on {}", msg.jobId(), self);
    } else if (keptTo != null) {
      keptTo.tell(new StateKept(msg.jobId(), node));
    }
    return this;
  }

  /**
   * Keeps the live layer states of {@code job}'s devices in this node's snapshot store, each
   * labelled with the steps it holds, and reports them (on the setup thread: each copy runs on its
   * device's executor, after the op in flight; a device that does not answer in time is skipped).
   */
  private void keepState(JobOnNode job) {
    if (job.snapshotJob().isEmpty()) {
      return;
    }
    String snapshotJob = job.snapshotJob();
    // no peer: kept in this node's store and reported held, as a snapshot of its own
    PeerSnapshotSink here = new PeerSnapshotSink(directory.snapshots(), client, snapshotJob, new byte[0], null, 0,
        (step, layers) -> heldHere(snapshotJob, step, layers));
    org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(NodeAgent.class);
    for (int d = 0; d < job.devices().size(); d++) {
      DeviceCompute device = job.devices().get(d);
      try {
        io.tandem.actors.worker.StageCompute compute = device.compute();
        var state = CompletableFuture.supplyAsync(() -> {
          long applied = compute.stepsApplied();
          return java.util.Map.entry(applied >= 0 ? applied : Math.max(0, job.restoreStep()), compute.snapshot());
        }, device.executor()).get(KEEP_STATE_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        here.keep(state.getKey(), d, state.getValue());
      } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
        log.warn("job {}: live layer states not kept: {}", job.snapshotJob(), e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** How long a release waits for a device to copy its live layer states. */
  private static final java.time.Duration KEEP_STATE_TIMEOUT = java.time.Duration.ofSeconds(10);

  private Behavior<Command> onStop() {
    List<DeviceCompute> open = new ArrayList<>();
    jobs.values().forEach(j -> open.addAll(j.devices()));
    jobs.clear();
    setup.execute(() -> open.forEach(DeviceCompute::close));
    setup.shutdown();
    transfers.shutdown();
    return this;
  }
}
