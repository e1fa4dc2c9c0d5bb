package io.tandem.actors.worker;

import com.typesafe.config.Config;
import io.tandem.actors.checkpoint.NodeDisk;
import io.tandem.actors.blocking.BlockingExecutors;
import io.tandem.actors.transport.HopClock;
import io.tandem.actors.transport.HostTensor;
import io.tandem.actors.coordinator.ProtoOps;
import io.tandem.actors.transport.TensorTransport;
import io.tandem.proto.CheckpointFile;
import io.tandem.proto.ErrorReport;
import io.tandem.proto.HopTrace;
import io.tandem.proto.OpProgram;
import io.tandem.proto.OpRef;
import io.tandem.proto.StepReport;
import io.tandem.proto.TensorFrameHeader;
import io.tandem.schedule.Op;
import io.tandem.schedule.OpKind;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Runs one device's op program for each step, in order. The step runs as a {@link StepLoop} on
 * the device's own executor: it waits there for each op's input and sends each output from
 * there, activations to the worker of the next virtual stage and input gradients to the worker
 * of the previous one, directly (never via the coordinator); the actor delivers arriving tensors
 * to it and handles control, and the step's report comes back as a message.
 * A failing op fails the step with a report naming worker, op, microbatch and step. Nothing
 * blocking runs on the actor's thread: reading gradient norms (a GPU synchronisation) runs on the
 * device's executor, checkpoint files ({@link WorkerCheckpoint}) on {@link BlockingExecutors#io()}.
 */
public final class StageWorker extends AbstractBehavior<StageWorker.Command> {

  /** Messages a stage worker accepts. */
  public sealed interface Command {}

  /**
   * The worker owning each virtual stage of this worker's pipeline (index = virtual stage). Sent
   * once before steps. With data parallelism, also this worker's replica and the worker of the
   * same device in every replica (index = replica; empty without data parallelism): they
   * all-reduce each virtual stage's gradients as soon as its last W of the step is done ({@link
   * GradientAllReduce}).
   */
  public record Peers(List<ActorRef<Command>> ownerOfStage, int replica, List<ActorRef<Command>> sameDevice)
      implements Command {
    public Peers(List<ActorRef<Command>> ownerOfStage) {
      this(ownerOfStage, 0, List.of());
    }
  }

  /** Run this step's program; report to {@code replyTo}. Same as {@link LoadProgram} then {@link StartStep}. */
  public record RunStep(OpProgram program, ActorRef<Reply> replyTo) implements Command {}

  /** This device's op program, sent once per job (and per re-plan); its step field is not used. */
  public record LoadProgram(OpProgram program) implements Command {}

  /** Run the loaded program for {@code step}; report to {@code replyTo}. */
  public record StartStep(String jobId, long step, ActorRef<Reply> replyTo) implements Command {}

  /** A tensor from a neighbouring stage (in one JVM, by reference). */
  public record TensorArrived(TensorFrameHeader header, HostTensor tensor) implements Command {}

  /** Apply the optimizer after the flush; gradients are scaled by {@code gradScale}. */
  public record ApplyUpdate(long step, double gradScale, ActorRef<Reply> replyTo) implements Command {}

  /** Send this device's weights (serialized per layer) to {@code replyTo}. */
  public record CollectWeights(ActorRef<Reply> replyTo) implements Command {}

  /**
   * The data plane refused a tensor meant for this worker (bad checksum, wrong size, other job):
   * the step fails with {@code reason}. {@code header} is what could be read of the frame.
   */
  public record TensorRejected(TensorFrameHeader header, String reason) implements Command {}

  /** Drop the step in flight (another worker failed). */
  public record AbortStep(long step) implements Command {}

  /**
   * Data parallelism, replicas lost a worker during {@code step}: once this worker's own
   * microbatches of the step (reduction group = its replica) are done, run its program again
   * shifted by each of {@code microbatchOffsets}, which makes the microbatches of the lost
   * reduction group {@code groups} at the same index. With {@code hostOf} empty this replica is
   * the only one left: it keeps each group's gradients apart, sums them in group order ({@link
   * StageCompute#holdGradients}, {@link StageCompute#foldHeldGroups}) and reports without the
   * all-reduce. Otherwise {@code hostOf} names, per reduction group, the intact replica that
   * holds its part now (itself for an intact one): the all-reduce goes on among the intact
   * replicas, each lost group's part sent by its host and its slice summed there, every sum in
   * group order ({@link GradientAllReduce#rerouted}).
   */
  public record Reroute(long step, List<Integer> microbatchOffsets, List<Integer> groups, List<Integer> hostOf)
      implements Command {
    public Reroute {
      microbatchOffsets = List.copyOf(microbatchOffsets);
      groups = List.copyOf(groups);
      hostOf = List.copyOf(hostOf);
      if (microbatchOffsets.size() != groups.size()) {
        throw new IllegalArgumentException(microbatchOffsets.size() + " microbatch offsets for " + groups.size()
            + " reduction groups");
      }
    }

    /** Only this replica is left: no all-reduce. */
    public boolean alone() {
      return hostOf.isEmpty();
    }

    /** Whether every one of {@code reductionGroups} was lost (is hosted by another replica now). */
    public boolean lostAll(java.util.Collection<Integer> reductionGroups) {
      return !alone() && reductionGroups.stream().allMatch(g -> g >= 0 && g < hostOf.size() && !hostOf.get(g).equals(g));
    }
  }

  /**
   * At the step boundary after {@code step} steps: copy this device's layer states to host
   * memory (before any op of the next step), then write them to the checkpoint store at
   * {@code dir} in the background and reply {@link CheckpointWritten} or {@link CheckpointFailed}.
   * {@code jobId} is the job's id as submitted (stable across re-plans), stamped in the files.
   */
  public record TakeCheckpoint(long step, String dir, String jobId, ActorRef<Reply> replyTo, long keepFrom)
      implements Command {
    /** Without pruning ({@code keepFrom} 0). */
    public TakeCheckpoint(long step, String dir, String jobId, ActorRef<Reply> replyTo) {
      this(step, dir, jobId, replyTo, 0);
    }
  }

  /**
   * At the step boundary after {@code step} steps: copy this device's layer states to host memory
   * (before any op of the next step) and hand them to the node's {@link SnapshotSink} in the
   * background. Ignored by a worker without a sink (a single-process run).
   */
  public record TakeSnapshot(long step) implements Command {}

  private record StepMeasured(long step, ActorRef<Reply> replyTo, StepReport report, Throwable error)
      implements Command {}

  private record SendFailed(long step, OpRef op, int target, Throwable error) implements Command {}

  /**
   * Data parallelism: the step's program is done (null outcome: stopped), or with {@code rerouted}
   * the lost groups this worker took over as well; the step reports once its all-reduce is.
   */
  private record ProgramDone(long step, ActorRef<Reply> replyTo, StepLoop.Outcome outcome, Throwable error,
      boolean rerouted) implements Command {}

  /**
   * Data parallelism: a piece of the all-reduce finished on the compute thread or the transport:
   * a slice summed (and its all-gather sent), or a bucket's reduced gradients loaded ({@code
   * loadedBucket}, else null).
   */
  private record ReduceWorkDone(long step, Integer loadedBucket, String what, Throwable error) implements Command {}

  private record UpdateDone(long step, ActorRef<Reply> replyTo, Throwable error) implements Command {}

  private record WeightsDone(SortedMap<Integer, byte[]> weights, ActorRef<Reply> replyTo,
      Throwable error) implements Command {}

  /** What a worker tells the coordinator. */
  public sealed interface Reply {}

  public record StepReported(StepReport report) implements Reply {}

  public record StepFailed(ErrorReport error) implements Reply {}

  public record UpdateApplied(int device, long step) implements Reply {}

  /** The device's layer digests at the end of the job (32 bytes a layer, see {@code WeightsDigest}). */
  public record WeightsReported(int device, SortedMap<Integer, byte[]> weights) implements Reply {}

  public record UpdateFailed(int device, long step, String message) implements Reply {}

  /**
   * This device's files of the checkpoint after {@code step} steps are on disk.
   *
   * @param blockingMs how long the snapshot held up the device's compute
   */
  public record CheckpointWritten(int device, long step, List<CheckpointFile> files, double blockingMs)
      implements Reply {}

  public record CheckpointFailed(int device, long step, String message) implements Reply {}

  private static final String OVERLAP_KEY = "tandem.runtime.all-reduce-overlap";
  /** How a failed all-reduce send's description starts (a peer may be gone). */
  private static final String SENDING = "sending ";
  /** For work logged off the actor's thread (the actor's own log is not thread-safe). */
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(StageWorker.class);

  private final String jobId;
  private final int device;
  private final int stages;
  private final int chunksPerDevice;
  private final Set<Integer> myStages;
  private final StageCompute compute;
  private final Executor executor;
  private final TensorTransport transport;
  /** Null: this worker keeps no in-memory snapshots. */
  private final SnapshotSink snapshots;
  private final long epochNanos = System.nanoTime();
  private final double epochMillis = System.currentTimeMillis();

  /** Set once before steps; read by the device's step loop when it sends. */
  private volatile List<ActorRef<Command>> ownerOfStage = List.of();
  /** Non-null with data parallelism (more than one replica) on flush schedules. */
  private GradientAllReduce allReduce;
  /** Non-null with data parallelism on PipeDream-2BW, which reduces at each update inside the step. */
  private ReplicaExchange exchange;
  /** How long a 2bw update waits for the other replicas (a stopped step releases it at once). */
  private static final java.time.Duration EXCHANGE_TIMEOUT = java.time.Duration.ofMinutes(10);
  /** This worker's data-parallel replica (0 without data parallelism). */
  private int replica;
  /** Data parallelism: the program's outcome while the all-reduce finishes. */
  private StepLoop.Outcome reducing;
  private ActorRef<Reply> reducingReplyTo;
  private final Executor io;
  private final TensorInbox inbox = new TensorInbox();
  /** The all-reduce's work on the compute thread, between ops. */
  private final ComputeGaps gaps;
  /** {@code tandem.runtime.all-reduce-overlap}: a stage's all-reduce starts after its last W, not after the program. */
  private final boolean overlapAllReduce;
  private final HopStatsCollector hops = new HopStatsCollector();
  /** This worker's ref, for threads other than the actor's (the context is the actor's alone). */
  private final ActorRef<Command> self;
  /** The op program loaded for this job (null until {@link LoadProgram}). */
  private List<OpRef> loaded;
  private String loadedJobId;
  // the step in flight
  /** Volatile: tensors coming by this worker's lane read it on senders' threads. */
  private volatile long step = -1;
  private ActorRef<Reply> replyTo;
  private boolean failed;
  /** The running step's loop on the compute thread (null before the first step). */
  private StepLoop running;
  /** The step whose lost replicas' microbatches this worker reroutes (-1: none); its all-reduce is dropped. */
  private volatile long reroutedStep = -1;
  private Reroute reroute;
  /** The loops of a rerouted step's lost groups (stopped with the step). */
  private List<StepLoop> rerouteLoops = List.of();
  /** A rerouted step with other intact replicas: the all-reduce of each lost group hosted here, by group. */
  private Map<Integer, GradientAllReduce> hostedGroups = Map.of();
  /** All-reduce frames for a lost group, come before this worker's own {@link Reroute}. */
  private final List<TensorArrived> earlyReduceFrames = new java.util.ArrayList<>();
  /** The worker of this device in every replica (from {@link Peers}). */
  private List<ActorRef<Command>> sameDevice = List.of();
  /** The step of {@link #reducedStages} (compute thread only). */
  private long reducedStagesStep = -1;
  /** The virtual stages whose reduced gradients of {@link #reducedStagesStep} are loaded (compute thread only). */
  private final Set<Integer> reducedStages = new java.util.HashSet<>();
  /** The last step a failed all-reduce send was reported for (once a step). */
  private long peerLostStep = -1;
  /** The rerouted step this device only passes the lost groups' tensors through ({@link #runFeeding}). */
  private long feedingStep = -1;

  private StageWorker(ActorContext<Command> context, String jobId, int device, int stages,
      int chunksPerDevice, Set<Integer> myStages, StageCompute compute, Executor executor,
      TensorTransport transport, SnapshotSink snapshots) {
    super(context);
    this.transport = transport;
    this.snapshots = snapshots;
    this.jobId = jobId;
    this.device = device;
    this.stages = stages;
    this.chunksPerDevice = chunksPerDevice;
    this.myStages = Set.copyOf(myStages);
    this.compute = compute;
    this.executor = executor;
    this.io = BlockingExecutors.get(context.getSystem()).io();
    this.gaps = new ComputeGaps(executor, inbox);
    Config config = context.getSystem().settings().config();
    this.overlapAllReduce = !config.hasPath(OVERLAP_KEY) || config.getBoolean(OVERLAP_KEY);
    this.self = context.getSelf();
    transport.openLane(self, this::fromLane);
  }

  public static Behavior<Command> create(String jobId, int device, int stages, int chunksPerDevice,
      Set<Integer> myStages, StageCompute compute, Executor executor) {
    return create(jobId, device, stages, chunksPerDevice, myStages, compute, executor, TensorTransport.local());
  }

  /** A worker whose outgoing tensors go through {@code transport} (e.g. the data plane). */
  public static Behavior<Command> create(String jobId, int device, int stages, int chunksPerDevice,
      Set<Integer> myStages, StageCompute compute, Executor executor, TensorTransport transport) {
    return create(jobId, device, stages, chunksPerDevice, myStages, compute, executor, transport, null);
  }

  /** A cluster node's worker: outgoing tensors through {@code transport}, snapshots to {@code snapshots}. */
  public static Behavior<Command> create(String jobId, int device, int stages, int chunksPerDevice,
      Set<Integer> myStages, StageCompute compute, Executor executor, TensorTransport transport,
      SnapshotSink snapshots) {
    return Behaviors.setup(ctx -> new StageWorker(ctx, jobId, device, stages, chunksPerDevice,
        myStages, compute, executor, transport, snapshots));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Peers.class, this::onPeers)
        .onMessage(RunStep.class, this::onRunStep)
        .onMessage(LoadProgram.class, this::onLoadProgram)
        .onMessage(StartStep.class, this::onStartStep)
        .onMessage(TensorArrived.class, this::onTensor)
        .onMessage(TensorRejected.class, this::onTensorRejected)
        .onMessage(SendFailed.class, this::onSendFailed)
        .onMessage(ApplyUpdate.class, this::onApplyUpdate)
        .onMessage(UpdateDone.class, this::onUpdateDone)
        .onMessage(CollectWeights.class, this::onCollectWeights)
        .onMessage(WeightsDone.class, this::onWeightsDone)
        .onMessage(AbortStep.class, this::onAbort)
        .onMessage(Reroute.class, this::onReroute)
        .onMessage(TakeCheckpoint.class, this::onTakeCheckpoint)
        .onMessage(TakeSnapshot.class, this::onTakeSnapshot)
        .onMessage(StepMeasured.class, this::onStepMeasured)
        .onMessage(ProgramDone.class, this::onProgramDone)
        .onMessage(ReduceWorkDone.class, this::onReduceWorkDone)
        .onSignal(org.apache.pekko.actor.typed.PostStop.class, signal -> {
          transport.closeLane(self);
          stopRunning();
          return this;
        })
        .build();
  }

  private Behavior<Command> onPeers(Peers peers) {
    if (peers.ownerOfStage().size() != stages) {
      throw new IllegalStateException("peers for " + peers.ownerOfStage().size() + " stages, expected " + stages);
    }
    ownerOfStage = List.copyOf(peers.ownerOfStage());
    replica = peers.replica();
    sameDevice = List.copyOf(peers.sameDevice());
    int anyStage = myStages.stream().min(Integer::compare).orElseThrow();
    boolean replicas = peers.sameDevice().size() > 1;
    allReduce = replicas && !compute.updatesInsideStep()
        ? new GradientAllReduce(jobId, peers.replica(), peers.sameDevice(), myStages, transport) : null;
    exchange = replicas && compute.updatesInsideStep() ? new ReplicaExchange(jobId, peers.replica(),
        peers.sameDevice(), anyStage, transport, EXCHANGE_TIMEOUT) : null;
    if (exchange != null) {
      compute.reduceOverReplicas(exchange::reduce);
    }
    return this;
  }

  private Behavior<Command> onRunStep(RunStep run) {
    onLoadProgram(new LoadProgram(run.program()));
    return onStartStep(new StartStep(run.program().getJobId(), run.program().getStep(), run.replyTo()));
  }

  private Behavior<Command> onLoadProgram(LoadProgram load) {
    loadedJobId = load.program().getJobId();
    loaded = List.copyOf(load.program().getOpsList());
    return this;
  }

  private Behavior<Command> onStartStep(StartStep start) {
    replyTo = start.replyTo();
    if (!start.jobId().equals(jobId)) {
      fail(start.step(), null, "step of job '" + start.jobId() + "' sent to a worker of job '" + jobId + "'");
      return this;
    }
    if (loaded == null || !loadedJobId.equals(jobId)) {
      fail(start.step(), null, loaded == null ? "step " + start.step() + " started before the op program was loaded"
          : "op program of job '" + loadedJobId + "' loaded into a worker of job '" + jobId + "'");
      return this;
    }
    if (running != null) {
      running.stop(); // a step the coordinator gave up on
    }
    step = start.step();
    failed = false;
    if (reroute != null && !reroute.alone()) {
      allReduce.rerouted(java.util.stream.IntStream.range(0, allReduce.replicas()).boxed().toList());
    }
    reroute = null;
    hostedGroups = Map.of();
    earlyReduceFrames.clear();
    if (exchange != null) {
      exchange.begin(step);
    }
    hops.reset();
    inbox.dropBefore(step);
    long s = step;
    int r = replica;
    ActorRef<Reply> to = replyTo;
    GradientAllReduce reduce = allReduce;
    StepLoop loop = new StepLoop(s, loaded, myStages, stages, device, compute, inbox, hops, this::nowMs,
        (ref, op, out, computedUs) -> sendOutput(s, r, ref, op, out, computedUs), gaps,
        reduce == null || !overlapAllReduce ? null : v -> scatter(reduce, s, v));
    running = loop;
    reducing = null;
    if (allReduce == null) {
      CompletableFuture<StepReport> measured = CompletableFuture.supplyAsync(() -> {
        StepLoop.Outcome outcome = loop.run();
        return outcome == null ? null : report(s, outcome, false);
      }, executor);
      getContext().pipeToSelf(measured, (report, err) -> new StepMeasured(s, to, report, err));
    } else {
      allReduce.begin(step);
      getContext().pipeToSelf(CompletableFuture.supplyAsync(loop::run, executor),
          (outcome, err) -> new ProgramDone(s, to, outcome, err, false));
    }
    return this;
  }

  private Behavior<Command> onTensor(TensorArrived msg) {
    TensorFrameHeader h = msg.header();
    if (!h.getJobId().equals(jobId)) {
      fail(h.getStep(), h.getProducer(), "tensor from job '" + h.getJobId()
          + "' arrived at a worker of job '" + jobId + "' (from " + ProtoOps.describe(h.getProducer()) + ")");
      return this;
    }
    if (h.getStep() < step) {
      getContext().getLog().debug("dropping stale tensor of step {} (now {})", h.getStep(), step);
      return this;
    }
    if (h.getAllReduce() && h.getExchangeUpdate() > 0) {
      if (exchange == null) {
        fail(h.getStep(), null, "2bw update gradients of replica " + h.getFromReplica() + " arrived at device "
            + device + ", which does not exchange them");
        return this;
      }
      try {
        exchange.arrived(h, msg.tensor());
      } catch (IllegalArgumentException e) {
        fail(h.getStep(), null, e.getMessage());
      }
      return this;
    }
    if (h.getAllReduce() && h.getStep() == reroutedStep && reroute.alone()) {
      return this; // the all-reduce of a rerouted step is dropped: this replica sums the groups itself
    }
    if (h.getAllReduce()) {
      if (allReduce == null) {
        fail(h.getStep(), null, "gradients of replica " + h.getFromReplica() + " arrived at device " + device
            + ", which runs without data parallelism");
      } else if (GradientAllReduce.sliceOf(h) == replica) {
        reduceArrived(allReduce, h, msg.tensor());
      } else if (h.getStep() == reroutedStep && hostedGroups.containsKey(GradientAllReduce.sliceOf(h))) {
        reduceArrived(hostedGroups.get(GradientAllReduce.sliceOf(h)), h, msg.tensor());
      } else if (h.getHostedGroup() > 0 && h.getStep() == step && reroutedStep != step) {
        earlyReduceFrames.add(msg); // a lost group's part, sent by a replica that was told to reroute first
      } else {
        reduceArrived(allReduce, h, msg.tensor()); // names the mismatch
      }
      return this;
    }
    if (!myStages.contains(h.getTargetStage())) {
      fail(h.getStep(), h.getProducer(), "tensor for virtual stage " + h.getTargetStage()
          + " arrived at device " + device + ", which holds " + myStages);
      return this;
    }
    accept(h, msg.tensor());
    return this;
  }

  /**
   * A tensor from a worker of this JVM, on the sender's thread: straight into the inbox when it
   * is plainly for the step in flight or a later one; anything else takes the mailbox, where
   * {@link #onTensor} checks and reports it.
   */
  private void fromLane(TensorArrived msg) {
    TensorFrameHeader h = msg.header();
    if (h.getAllReduce() || !h.getJobId().equals(jobId) || !myStages.contains(h.getTargetStage())
        || h.getStep() < step) {
      self.tell(msg);
      return;
    }
    accept(h, msg.tensor());
  }

  /** A pipeline tensor for this worker, checked: into the inbox, its hop counted. Thread-safe. */
  private void accept(TensorFrameHeader h, HostTensor tensor) {
    long arrived = HopClock.nowMicros();
    if (h.hasTrace()) {
      hops.arrived(h.getTrace(), arrived);
    }
    inbox.put(h.getStep(), h.getGradient(), h.getProducer().getMicrobatch(), h.getTargetStage(), tensor, arrived);
  }

  private Behavior<Command> onTensorRejected(TensorRejected msg) {
    TensorFrameHeader h = msg.header();
    boolean known = h.getJobId().equals(jobId);
    long failedStep = known ? h.getStep() : step;
    OpRef producer = h.hasProducer() ? h.getProducer() : null;
    String what = producer == null ? "a tensor" : (h.getGradient() ? "the gradient" : "the activation")
        + " of " + ProtoOps.describe(producer) + " (microbatch " + producer.getMicrobatch() + ", step "
        + h.getStep() + ") for virtual stage " + h.getTargetStage();
    fail(failedStep, producer, "data plane rejected " + what + ": " + msg.reason());
    return this;
  }

  private Behavior<Command> onSendFailed(SendFailed msg) {
    if (msg.error() != null && msg.step() == step && !failed) {
      fail(step, msg.op(), "sending the output of " + ProtoOps.describe(msg.op()) + " to virtual stage "
          + msg.target() + " failed: " + rootMessage(msg.error()), true);
    }
    return this;
  }

  /**
   * Sends an op's output to the worker of its target stage. Runs on the compute thread (the step
   * loop), so only thread-safe things: building the header, the transport, {@code tell}.
   */
  private void sendOutput(long s, int fromReplica, OpRef ref, Op op, HostTensor out, long computedUs) {
    boolean gradient = op.kind() != OpKind.F;
    int target = gradient ? op.virtualStage() - 1 : op.virtualStage() + 1;
    TensorFrameHeader.Builder header = TensorFrameHeader.newBuilder()
        .setJobId(jobId).setStep(s).setProducer(ref).setTargetStage(target).setReplica(fromReplica)
        .setGradient(gradient).setPayloadBytes(out.bytes())
        .setTrace(HopTrace.newBuilder().setComputedUs(computedUs).setDispatchedUs(HopClock.nowMicros()));
    for (int d : out.shape()) {
      header.addShape(d);
    }
    CompletionStage<Void> sent;
    try {
      sent = transport.send(ownerOfStage.get(target), new TensorArrived(header.build(), out));
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    sent.whenComplete((ok, err) -> {
      if (err != null) {
        self.tell(new SendFailed(s, ref, target, err));
      }
    });
  }

  /**
   * The program is done (on the compute thread): the step's losses and per-layer gradient sums
   * of squares (a device synchronisation on a GPU) are read and reported.
   */
  private StepReport report(long s, StepLoop.Outcome outcome, boolean rerouted) {
    StepReport.Builder report = StepReport.newBuilder().setJobId(jobId).setStep(s).setDevice(device)
        .setRerouted(rerouted)
        .addAllTimings(outcome.timings())
        .setPeakActivationBytes(outcome.peakHeldBytes())
        .setPeakActivationUnits((double) outcome.peakHeld() / chunksPerDevice)
        .setStateBytes(compute.stateBytes())
        .setHops(hops.build());
    compute.losses(s).entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
      report.addLossMicrobatches(e.getKey());
      report.addMicrobatchLoss(e.getValue());
    });
    compute.gradientSumSquares().forEach((layer, sumSq) -> {
      report.addLayerIndex(layer);
      report.addLayerGradSumSquares(sumSq);
    });
    return report.build();
  }

  private Behavior<Command> onStepMeasured(StepMeasured m) {
    if (m.step() != step || failed) {
      return this; // aborted meanwhile
    }
    if (m.error() != null) {
      Throwable cause = m.error() instanceof java.util.concurrent.CompletionException && m.error().getCause() != null
          ? m.error().getCause() : m.error();
      if (cause instanceof StepLoop.OpFailed f) {
        fail(m.step(), f.op(), f.getMessage());
      } else {
        fail(m.step(), null, "reading the step's losses and gradient norms failed: " + rootMessage(m.error()));
      }
    } else if (m.report() != null) {
      m.replyTo().tell(new StepReported(m.report()));
    }
    return this;
  }

  /**
   * Data parallelism, on the compute thread right after virtual stage {@code v}'s last W of step
   * {@code s}: its gradients are downloaded and their slices sent to their owners (the
   * reduce-scatter); the program goes on meanwhile.
   */
  private void scatter(GradientAllReduce reduce, long s, int v) {
    reduce.scatter(s, v, compute.stageGradients(v)).whenComplete((ok, err) -> {
      if (err != null) {
        self.tell(new ReduceWorkDone(s, null, SENDING + "virtual stage " + v + "'s gradient slices", err));
      }
    });
  }

  /**
   * An all-reduce frame (this worker's own included) for {@code reduce} (this replica's, or a lost
   * group's hosted here): sums a complete slice, loads a complete bucket.
   */
  private void reduceArrived(GradientAllReduce reduce, TensorFrameHeader h, HostTensor tensor) {
    GradientAllReduce.Ready ready;
    try {
      ready = reduce.arrived(h, tensor);
    } catch (IllegalArgumentException e) {
      fail(h.getStep(), null, e.getMessage());
      return;
    }
    if (ready instanceof GradientAllReduce.SumSlice sum) {
      long s = sum.step();
      int v = sum.bucket();
      CompletableFuture<Void> done = gaps.submit(() -> GradientSlices.sum(sum.parts()))
          .thenCompose(reduced -> reduce.gather(s, v, sum.piece(), reduced));
      getContext().pipeToSelf(done, (ok, err) -> new ReduceWorkDone(s, null,
          "reducing piece " + sum.piece() + " of replica " + replica + "'s slice of virtual stage " + v
          + "'s gradients", err));
    } else if (ready instanceof GradientAllReduce.LoadBucket load) {
      long s = load.step();
      int v = load.bucket();
      CompletableFuture<Integer> loaded = gaps.submit(() -> {
        if (s != step || s == reroutedStep && reroute.alone()) {
          return null; // the step was dropped, or rerouted to this replica alone, meanwhile
        }
        compute.setStageGradients(v, load.pieces());
        if (reducedStagesStep != s) {
          reducedStagesStep = s;
          reducedStages.clear();
        }
        reducedStages.add(v);
        return v;
      });
      getContext().pipeToSelf(loaded, (bucket, err) -> new ReduceWorkDone(s, bucket,
          "loading virtual stage " + v + "'s reduced gradients", err));
    }
  }

  private Behavior<Command> onReduceWorkDone(ReduceWorkDone done) {
    if (done.step() != step || failed || step == reroutedStep && reroute.alone()) {
      return this;
    }
    GradientAllReduce.SliceSendFailed unsent = GradientAllReduce.SliceSendFailed.in(done.error());
    if (unsent != null && step == reroutedStep && reroute.lostAll(unsent.groups())) {
      // frames for lost groups' workers, under way when the reroute came: the rerouted all-reduce
      // sends those slices to their hosts, and a lost group needs no reduced slice any more
      return this;
    }
    if (done.error() != null && done.what().startsWith(SENDING) && step != reroutedStep) {
      // the peer may be gone: this replica's own microbatches go on, so that it can take over a
      // lost replica's (Reroute); the coordinator aborts the step if no node turns out lost
      peerLost(step, "gradient all-reduce failed: " + done.what() + ": " + rootMessage(done.error()));
      return this;
    }
    if (done.error() != null) {
      fail(step, null, "gradient all-reduce failed: " + done.what() + ": " + rootMessage(done.error()));
      return this;
    }
    if (done.loadedBucket() != null && allReduce.loaded(step, done.loadedBucket())) {
      reportReduced();
    }
    return this;
  }

  /** Data parallelism: the program is done; the step reports once every bucket's reduced gradients are loaded. */
  private Behavior<Command> onProgramDone(ProgramDone done) {
    if (done.step() != step || failed) {
      return this;
    }
    if (done.error() != null) {
      return onStepMeasured(new StepMeasured(done.step(), done.replyTo(), null, done.error()));
    }
    if (done.outcome() == null) {
      return this; // stopped
    }
    reducing = done.outcome();
    reducingReplyTo = done.replyTo();
    if (done.rerouted()) {
      reportReduced(); // the all-reduce among the intact replicas may be done already
      return this;
    }
    if (step == reroutedStep) {
      if (feedingStep != step) { // else the device's step was done and reported, and the lost groups pass through
        startRerouted();
      }
      return this;
    }
    if (!overlapAllReduce) {
      GradientAllReduce reduce = allReduce;
      long s = step;
      for (int v : reduce.buckets()) {
        gaps.submit(() -> {
          scatter(reduce, s, v);
          return null;
        }).whenComplete((ok, err) -> {
          if (err != null) {
            self.tell(new ReduceWorkDone(s, null, "downloading virtual stage " + v + "'s gradients", err));
          }
        });
      }
    }
    if (allReduce.complete(step)) {
      reportReduced();
    }
    return this;
  }

  /** Reports the step when both its program and its all-reduce are done (each calls this as it finishes). */
  private void reportReduced() {
    if (reducing == null || !allReduce.complete(step)) {
      return;
    }
    long s = step;
    StepLoop.Outcome outcome = reducing;
    ActorRef<Reply> to = reducingReplyTo;
    reducing = null;
    boolean rerouted = s == reroutedStep; // decided here: a report already under way counts its own groups only
    getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> report(s, outcome, rerouted), executor),
        (report, err) -> new StepMeasured(s, to, report, err));
  }

  private Behavior<Command> onApplyUpdate(ApplyUpdate msg) {
    CompletableFuture<Void> f = CompletableFuture.runAsync(() -> compute.applyUpdate(msg.step(), msg.gradScale()), executor);
    getContext().pipeToSelf(f, (ok, err) -> new UpdateDone(msg.step(), msg.replyTo(), err));
    return this;
  }

  private Behavior<Command> onUpdateDone(UpdateDone done) {
    if (done.error() != null) {
      done.replyTo().tell(new UpdateFailed(device, done.step(), "device " + device
          + ": optimizer update of step " + done.step() + " failed: " + rootMessage(done.error())));
    } else {
      done.replyTo().tell(new UpdateApplied(device, done.step()));
    }
    return this;
  }

  private Behavior<Command> onCollectWeights(CollectWeights msg) {
    CompletableFuture<SortedMap<Integer, byte[]>> f = CompletableFuture.supplyAsync(compute::layerDigests, executor);
    getContext().pipeToSelf(f, (w, err) -> new WeightsDone(w, msg.replyTo(), err));
    return this;
  }

  private Behavior<Command> onWeightsDone(WeightsDone done) {
    if (done.error() != null) {
      done.replyTo().tell(new UpdateFailed(device, -1, "device " + device + ": reading weights failed: "
          + rootMessage(done.error())));
    } else {
      done.replyTo().tell(new WeightsReported(device, done.weights()));
    }
    return this;
  }

  private Behavior<Command> onTakeCheckpoint(TakeCheckpoint msg) {
    org.apache.pekko.actor.Address self = getContext().getSystem().address();
    String node = self.hasGlobalScope() ? self.toString() : ""; // one JVM: no node to name
    java.nio.file.Path dir = NodeDisk.of(getContext().getSystem().settings().config()).resolve(msg.dir());
    WorkerCheckpoint.take(msg, dir, device, compute, executor, io, node).thenAccept(msg.replyTo()::tell);
    return this;
  }

  private Behavior<Command> onTakeSnapshot(TakeSnapshot msg) {
    if (snapshots == null) {
      return this;
    }
    java.util.concurrent.CompletableFuture.supplyAsync(compute::snapshot, executor)
        .thenAcceptAsync(state -> snapshots.keep(msg.step(), device, state), io)
        .exceptionally(e -> {
          LOG.warn("device {}: in-memory snapshot after step {} not kept: {}", device, msg.step(), rootMessage(e));
          return null;
        });
    return this;
  }

  private Behavior<Command> onAbort(AbortStep msg) {
    if (msg.step() == step) {
      failed = true;
      stopRunning();
    }
    return this;
  }

  private Behavior<Command> onReroute(Reroute msg) {
    if (msg.step() != step || failed || allReduce == null || msg.microbatchOffsets().isEmpty() && msg.alone()) {
      fail(msg.step(), null, "cannot take over a lost replica's microbatches of step " + msg.step() + ": "
          + (allReduce == null ? "this worker runs without data parallelism" : msg.step() != step
          ? "this worker is at step " + step : failed ? "its own step failed" : "no microbatches named"));
      return this;
    }
    if (reroutedStep == step) {
      return this;
    }
    if (!msg.alone() && msg.hostOf().size() != sameDevice.size()) {
      fail(msg.step(), null, "cannot take over a lost replica's microbatches of step " + msg.step() + ": hosts for "
          + msg.hostOf().size() + " reduction groups, the job has " + sameDevice.size() + " replicas");
      return this;
    }
    reroute = msg; // before reroutedStep, which the compute thread reads first
    reroutedStep = step;
    getContext().getLog().info("device {}: step {}: taking over reduction group(s) {} of lost replicas{}",
        device, step, msg.groups(), msg.alone() ? "" : " (hosts " + msg.hostOf() + ")");
    if (!msg.alone()) {
      allReduce.rerouted(msg.hostOf());
      List<ActorRef<Command>> hosts = msg.hostOf().stream().map(sameDevice::get).toList();
      Map<Integer, GradientAllReduce> hosted = new java.util.TreeMap<>();
      for (int g : msg.groups()) {
        GradientAllReduce group = new GradientAllReduce(jobId, g, hosts, myStages, transport);
        group.rerouted(msg.hostOf());
        hosted.put(g, group);
      }
      hostedGroups = hosted;
      List<TensorArrived> early = List.copyOf(earlyReduceFrames);
      earlyReduceFrames.clear();
      early.forEach(this::onTensor);
    }
    if (reducing == null && allReduce.complete(step)) {
      runFeeding(); // this device's step is done and reported: it only passes the lost groups' tensors on
    } else if (reducing != null) {
      startRerouted(); // its own program is done; the rest comes after the program otherwise (onProgramDone)
    }
    return this;
  }

  /**
   * A rerouted step on a device whose gradients of the step are all reduced already (the lost
   * replica's worker of this device finished its part before it was lost): the lost groups'
   * microbatches only pass through (F, and B for the stages before; no W), then the step is
   * reported again, with the losses of every microbatch it computed.
   */
  private void runFeeding() {
    long s = step;
    feedingStep = s;
    getContext().getLog().info("device {}: step {}: its gradients are reduced already; the lost groups' microbatches"
        + " only pass through", device, s);
    ActorRef<Reply> to = replyTo;
    List<StepLoop> loops = reroutedLoops(s, myStages);
    Reroute r = reroute;
    CompletableFuture<StepReport> measured = CompletableFuture.supplyAsync(() -> {
      if (!r.alone()) {
        regatherLostSlices(s, myStages, r.hostOf());
      }
      StepLoop.Outcome outcome = runAll(loops, new StepLoop.Outcome(List.of(), 0, 0), i -> { }, i -> { });
      return outcome == null ? null : report(s, outcome, true);
    }, executor);
    getContext().pipeToSelf(measured, (report, err) -> new StepMeasured(s, to, report, err));
  }

  private void startRerouted() {
    if (reroute.alone()) {
      runRerouted();
    } else {
      runReroutedWithOthers();
    }
  }

  /**
   * The rerouted part of the step with other intact replicas, after this worker's own
   * microbatches: its own part's slices whose owners were lost go to their hosts (or, without the
   * overlapped all-reduce, its whole part goes out now); then the program again for each lost
   * group hosted here, whose part is scattered as that group's. The step reports once every
   * bucket's reduced gradients are loaded, as usual.
   */
  private void runReroutedWithOthers() {
    long s = step;
    StepLoop.Outcome own = reducing;
    ActorRef<Reply> to = reducingReplyTo;
    reducing = null;
    GradientAllReduce mine = allReduce;
    Map<Integer, GradientAllReduce> hosted = hostedGroups;
    List<Integer> hostOf = reroute.hostOf();
    List<Integer> lost = lostGroups(hostOf);
    Set<Integer> passThrough = java.util.concurrent.ConcurrentHashMap.newKeySet();
    List<StepLoop> loops = reroutedLoops(s, passThrough);
    List<Integer> groups = reroute.groups();
    boolean overlapped = overlapAllReduce;
    CompletableFuture<StepLoop.Outcome> done = CompletableFuture.supplyAsync(() -> {
      // what is loaded now stays as it is; later loads complete the other stages
      Set<Integer> open = passReducedStages(s, passThrough, ", and their lost slices go out again from the loaded"
          + " gradients");
      Set<Integer> reduced = new java.util.TreeSet<>(myStages);
      reduced.removeAll(open);
      regatherLostSlices(s, reduced, hostOf);
      for (int v : mine.buckets()) {
        if (reduced.contains(v)) {
          continue; // every part of it was summed: nobody needs this replica's part again
        }
        if (!overlapped) {
          sendOrReport(s, v, mine.scatter(s, v, compute.stageGradients(v)));
        } else if (mine.scatteredToOriginalOwners(s, v)) {
          sendOrReport(s, v, mine.scatterSlices(s, v, compute.stageGradients(v), lost));
        } // else scattered after the reroute, to the hosts already
      }
      // before each hosted group: this device's previous part is on its way; after it: its part goes out
      return runAll(loops, own, i -> compute.dropGradients(open), i -> {
        GradientAllReduce group = hosted.get(groups.get(i));
        for (int v : open) {
          sendOrReport(s, v, group.scatter(s, v, compute.stageGradients(v)));
        }
      });
    }, executor);
    getContext().pipeToSelf(done, (outcome, err) -> new ProgramDone(s, to, outcome, err, true));
  }

  private void sendOrReport(long s, int v, CompletionStage<Void> sent) {
    sent.whenComplete((ok, err) -> {
      if (err != null) {
        self.tell(new ReduceWorkDone(s, null, SENDING + "virtual stage " + v + "'s gradient slices (rerouted)", err));
      }
    });
  }

  /**
   * A loop per lost group hosted here: the program again, its microbatches shifted by the group's
   * offset; through the virtual stages {@code passThrough} the loops only pass tensors on ({@link
   * StepLoop}).
   */
  private List<StepLoop> reroutedLoops(long s, Set<Integer> passThrough) {
    int r = replica;
    List<StepLoop> loops = new java.util.ArrayList<>();
    for (int offset : reroute.microbatchOffsets()) {
      List<OpRef> program = new java.util.ArrayList<>();
      for (OpRef op : loaded) {
        program.add(op.toBuilder().setMicrobatch(op.getMicrobatch() + offset).build());
      }
      loops.add(new StepLoop(s, program, myStages, stages, device, compute, inbox, hops, this::nowMs,
          (ref, op, out, computedUs) -> sendOutput(s, r, ref, op, out, computedUs), passThrough));
    }
    rerouteLoops = List.copyOf(loops);
    return loops;
  }

  /**
   * The rerouted part of the step, after this worker's own microbatches: the program again for
   * each lost group (its microbatches shifted), the groups summed in group order, then the step's
   * report; never the all-reduce. A virtual stage whose gradients were all-reduced before the
   * loss (the lost replica's worker finished it; V-shape devices hold two) keeps them: the lost
   * groups' microbatches only pass through it.
   */
  private void runRerouted() {
    long s = step;
    StepLoop.Outcome own = reducing;
    ActorRef<Reply> to = reducingReplyTo;
    reducing = null;
    int r = replica;
    Set<Integer> passThrough = java.util.concurrent.ConcurrentHashMap.newKeySet();
    List<StepLoop> loops = reroutedLoops(s, passThrough);
    List<Integer> groups = reroute.groups();
    CompletableFuture<StepReport> measured = CompletableFuture.supplyAsync(() -> {
      Set<Integer> held = passReducedStages(s, passThrough, ""); // none loads for this step from now on
      compute.holdGradients(r, held); // replica r's own reduction group
      StepLoop.Outcome outcome = runAll(loops, own, i -> { }, i -> compute.holdGradients(groups.get(i), held));
      if (outcome == null) {
        return null;
      }
      compute.foldHeldGroups();
      return report(s, outcome, true);
    }, executor);
    getContext().pipeToSelf(measured, (report, err) -> new StepMeasured(s, to, report, err));
  }

  /**
   * On the compute thread: runs a rerouted step's {@code loops} in order after {@code own}, with
   * {@code before} and {@code after} each loop (by index); their joined outcome, null when stopped.
   */
  private static StepLoop.Outcome runAll(List<StepLoop> loops, StepLoop.Outcome own,
      java.util.function.IntConsumer before, java.util.function.IntConsumer after) {
    StepLoop.Outcome outcome = own;
    for (int i = 0; i < loops.size(); i++) {
      before.accept(i);
      StepLoop.Outcome extra = loops.get(i).run();
      if (extra == null) {
        return null; // stopped
      }
      after.accept(i);
      outcome = outcome.then(extra);
    }
    return outcome;
  }

  /**
   * On the compute thread, which loads reduced gradients: adds the virtual stages whose reduced
   * gradients of step {@code s} are loaded to {@code passThrough} (logged, with {@code more}) and
   * returns the others.
   */
  private Set<Integer> passReducedStages(long s, Set<Integer> passThrough, String more) {
    Set<Integer> reduced = reducedStages(s);
    passThrough.addAll(reduced);
    Set<Integer> open = new java.util.TreeSet<>(myStages);
    open.removeAll(reduced);
    if (!reduced.isEmpty()) {
      LOG.info("device {}: step {}: virtual stage(s) {} all-reduced before the loss; the lost groups' microbatches"
          + " only pass through them{}", device, s, new java.util.TreeSet<>(reduced), more);
    }
    return open;
  }

  /** On the compute thread: the virtual stages whose reduced gradients of step {@code s} are loaded. */
  private Set<Integer> reducedStages(long s) {
    return reducedStagesStep == s ? Set.copyOf(reducedStages) : Set.of();
  }

  /** The reduction groups lost in a rerouted step: those hosted by another replica. */
  private static List<Integer> lostGroups(List<Integer> hostOf) {
    List<Integer> lost = new java.util.ArrayList<>();
    for (int g = 0; g < hostOf.size(); g++) {
      if (hostOf.get(g) != g) {
        lost.add(g);
      }
    }
    return lost;
  }

  /**
   * On the compute thread, with other intact replicas: each virtual stage in {@code reduced} had
   * every part summed before the loss, so the intact owners' reduced slices reach every intact
   * replica as usual, but a lost owner's may not have. This device sends each lost group's
   * reduced slice of those stages, read back from its loaded gradients, to every intact replica,
   * as that group would have; a replica that has it already ignores the same bits again, and one
   * that lacks it completes its bucket with it. Without this a replica could wait for a slice
   * nobody sums any more (this device sends no part of a reduced stage again).
   */
  private void regatherLostSlices(long s, Set<Integer> reduced, List<Integer> hostOf) {
    if (reduced.isEmpty()) {
      return;
    }
    List<ActorRef<Command>> hosts = hostOf.stream().map(sameDevice::get).toList();
    List<GradientAllReduce> asLostGroups = new java.util.ArrayList<>();
    for (int g : lostGroups(hostOf)) {
      GradientAllReduce asGroup = new GradientAllReduce(jobId, g, hosts, myStages, transport);
      asGroup.rerouted(hostOf);
      asLostGroups.add(asGroup);
    }
    for (int v : new java.util.TreeSet<>(reduced)) {
      float[] loaded = compute.stageGradients(v); // read back once a stage, whatever the lost groups
      for (GradientAllReduce asGroup : asLostGroups) {
        sendOrReport(s, v, asGroup.gatherSlice(s, v, loaded));
      }
    }
  }

  private void stopRunning() {
    if (running != null) {
      running.stop();
    }
    rerouteLoops.forEach(StepLoop::stop);
    if (exchange != null) {
      exchange.cancel("step " + step + " stopped on device " + device);
    }
  }

  private void fail(long failedStep, OpRef op, String message) {
    fail(failedStep, op, message, false);
  }

  /**
   * Data parallelism: a send of the all-reduce failed, so a peer may be gone. Reported (marked
   * {@code peer_lost}) without stopping the step: if a replica was lost, this one may still
   * take over its microbatches ({@link Reroute}); otherwise the coordinator aborts the step.
   */
  private void peerLost(long failedStep, String message) {
    if (peerLostStep != failedStep) { // once a step: every slice to a gone peer fails
      peerLostStep = failedStep;
      reportFailure(failedStep, null, message, true);
    }
  }

  /** Fails the step; {@code peerLost}: the failure is a send to a peer (which may be gone). */
  private void fail(long failedStep, OpRef op, String message, boolean peerLost) {
    failed = true;
    stopRunning();
    reportFailure(failedStep, op, message, peerLost);
  }

  private void reportFailure(long failedStep, OpRef op, String message, boolean peerLost) {
    ErrorReport.Builder e = ErrorReport.newBuilder().setJobId(jobId).setStep(failedStep)
        .setWorker("device " + device + " (" + getContext().getSelf().path().name() + ")")
        .setMessage(message).setPeerLost(peerLost);
    if (op != null) {
      e.setOp(op);
    }
    getContext().getLog().warn("step {} failed on device {}{}: {}", failedStep, device,
        op == null ? "" : " at " + ProtoOps.describe(op), message);
    if (replyTo != null) {
      replyTo.tell(new StepFailed(e.build()));
    }
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && (c instanceof java.util.concurrent.CompletionException)) {
      c = c.getCause();
    }
    return c.getMessage() == null ? c.toString() : c.getMessage();
  }

  private double nowMs() {
    return epochMillis + (System.nanoTime() - epochNanos) / 1e6;
  }
}
