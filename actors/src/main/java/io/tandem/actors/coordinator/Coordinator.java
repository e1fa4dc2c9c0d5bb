package io.tandem.actors.coordinator;

import io.tandem.actors.blocking.BlockingExecutors;
import io.tandem.actors.worker.DeviceCompute;
import io.tandem.actors.JobConfig;
import io.tandem.actors.JobEvent;
import io.tandem.actors.transport.TensorTransport;
import io.tandem.actors.worker.StageWorker;
import io.tandem.model.optim.GradientClipping;
import io.tandem.proto.Plan;
import io.tandem.proto.ErrorReport;
import io.tandem.proto.OpProgram;
import io.tandem.proto.StepReport;
import io.tandem.schedule.Op;
import io.tandem.schedule.Schedule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Owns one job: sends each stage worker its op program once, starts every step with a small
 * message, gathers the step reports, runs the optimizer barrier (flush) with global-norm
 * clipping combined in layer order, and at the end hashes all weights in layer order. Fails the
 * job, naming worker, op, microbatch and step, when a worker fails or a step outlives its
 * timeout. Checkpoint manifests ({@link CheckpointCommits}) and the weights' hash are written and
 * computed on {@link BlockingExecutors#io()}, never on the actor's thread; the job succeeds once
 * both are done.
 *
 * <p>Data parallelism: given D times the schedule's devices, worker {@code r*p + d} is device d
 * of replica r and runs device d's program on the replica's microbatches, {@code [r*m/D,
 * (r+1)*m/D)} of the step's m (the schedule has m/D). The replicas of each device all-reduce their
 * gradients after the program (the workers do, {@code GradientAllReduce}), so the norm comes from
 * replica 0's reports, every replica applies the same update, and at the end every replica's
 * weights must equal replica 0's. Checkpoints are taken from replica 0 alone.
 */
public final class Coordinator extends AbstractBehavior<Coordinator.Command> {

  /** Messages the coordinator accepts. */
  public sealed interface Command {}

  /**
   * Checkpoint at the end of the step in flight whatever the interval; with {@code pause}, start
   * no further step (whoever asked re-plans from that checkpoint). Ignored without a checkpoint
   * policy or at the last step.
   */
  public record CheckpointNow(boolean pause) implements Command {}

  /** Stop the job: the step in flight is dropped and the listener gets {@link JobEvent.JobCancelled}. */
  public record Cancel(String reason) implements Command {}

  /**
   * Data parallelism: the workers {@code lostWorkers} (indices) are gone ({@code why}). When one
   * replica is left intact, it takes over the lost replicas' microbatches of the step in flight
   * ({@link StageWorker.Reroute}), the step completes on it alone with the same weights, and the
   * coordinator then pauses, announcing {@code rerouted}, for its owner to re-plan from the
   * survivors' live states. Otherwise the job fails as for any lost worker.
   */
  public record Reroute(java.util.Set<Integer> lostWorkers, String why) implements Command {
    public Reroute {
      lostWorkers = java.util.Set.copyOf(lostWorkers);
    }
  }

  /** How long a data-parallel step whose send to a peer failed waits for a {@link Reroute} before it fails. */
  static final Duration PEER_LOST_HOLD = Duration.ofSeconds(10);

  private record FromWorker(StageWorker.Reply reply) implements Command {}

  private record StepTimedOut(long step) implements Command {}

  private record PeerLostHoldEnded(long step) implements Command {}

  private record Committed(CheckpointCommits.Outcome outcome) implements Command {}

  private record WeightsHashed(String sha256, Throwable error) implements Command {}

  /** FINISHING: every weight is in; waiting for their hash and the checkpoint commits in flight. */
  private enum Phase { COMPUTE, UPDATE, WEIGHTS, PAUSED, FINISHING, DONE }

  private final JobConfig job;
  private final Schedule schedule;
  private final ActorRef<JobEvent> listener;
  private final TimerScheduler<Command> timers;
  private final List<ActorRef<StageWorker.Command>> workers = new ArrayList<>();
  private final List<DeviceCompute> devices = new ArrayList<>();
  private final ActorRef<StageWorker.Reply> replyAdapter;
  private final Executor io;
  /** Data-parallel replicas: workers / schedule devices. */
  private final int replicas;

  private long step;
  private Phase phase;
  private long stepStartNanos;
  private final Map<Integer, StepReport> reports = new TreeMap<>();
  private int acks;
  /** Devices that answered in the current UPDATE or WEIGHTS phase (COMPUTE: {@link #reports}). */
  private final java.util.Set<Integer> answered = new java.util.TreeSet<>();
  private double lastLoss = Double.NaN;
  private double lastNorm;
  private final SortedMap<Integer, byte[]> weights = new TreeMap<>();
  /** Each device's layer digests as reported, by device (every replica's). */
  private final SortedMap<Integer, SortedMap<Integer, byte[]>> replicaWeights = new TreeMap<>();
  private final CheckpointCommits commits;
  /** The weights' hash once computed: the job succeeds when no commit is in flight any more. */
  private String weightsSha256;
  private boolean checkpointNow;
  /** The snapshot interval when the job leaves it automatic ({@link JobConfig#AUTO_SNAPSHOTS}). */
  private final SnapshotInterval autoSnapshots = new SnapshotInterval();
  private boolean pauseAfterCheckpoint;
  /** The intact replicas finishing the step in flight after a {@link Reroute} (null: all run). */
  private List<Integer> rerouteIntact;
  /** Data parallelism: the first failed send to a peer of this step, held while the job learns why. */
  private ErrorReport heldFailure;

  private Coordinator(ActorContext<Command> context, TimerScheduler<Command> timers, JobConfig job,
      List<DeviceCompute> owned, List<ActorRef<StageWorker.Command>> stageWorkers, ActorRef<JobEvent> listener) {
    super(context);
    this.job = job;
    this.schedule = job.schedule();
    this.listener = listener;
    this.timers = timers;
    this.replyAdapter = context.messageAdapter(StageWorker.Reply.class, FromWorker::new);
    this.io = BlockingExecutors.get(context.getSystem()).io();
    this.replicas = replicas(schedule, stageWorkers.size());
    this.commits = new CheckpointCommits(job.checkpoints(), schedule.devices());
    devices.addAll(owned);
    workers.addAll(stageWorkers);
    int p = schedule.devices();
    for (int r = 0; r < replicas; r++) {
      List<ActorRef<StageWorker.Command>> owners = new ArrayList<>();
      for (int v = 0; v < schedule.stages(); v++) {
        owners.add(workers.get(r * p + schedule.placement().device(v)));
      }
      for (int d = 0; d < p; d++) {
        List<ActorRef<StageWorker.Command>> sameDevice = new ArrayList<>();
        for (int q = 0; replicas > 1 && q < replicas; q++) {
          sameDevice.add(workers.get(q * p + d));
        }
        workers.get(r * p + d).tell(new StageWorker.Peers(owners, r, sameDevice));
      }
    }
    // the op programs travel once per job (and per re-plan: a new coordinator); a step starts small
    for (int w = 0; w < workers.size(); w++) {
      workers.get(w).tell(new StageWorker.LoadProgram(program(w)));
    }
  }

  /**
   * Worker w's op program: device (w mod p)'s ops on its replica's microbatches, {@code [r*m/D,
   * (r+1)*m/D)} for replica r = w / p (the schedule has m/D).
   */
  private OpProgram program(int w) {
    OpProgram.Builder program = OpProgram.newBuilder().setJobId(job.jobId()).setStep(job.startStep()).setDevice(w);
    int firstMicrobatch = w / schedule.devices() * schedule.microbatches();
    for (Op op : schedule.opsOf(w % schedule.devices())) {
      program.addOps(ProtoOps.toProto(op, schedule.weightVersions().getOrDefault(op, 0)).toBuilder()
          .setMicrobatch(op.microbatch() + firstMicrobatch));
    }
    return program.build();
  }

  /** D for {@code workers} workers running {@code schedule}: a whole multiple of its devices. */
  private static int replicas(Schedule schedule, int workers) {
    if (workers < schedule.devices() || workers % schedule.devices() != 0) {
      throw new IllegalArgumentException("schedule needs " + schedule.devices() + " devices (or a multiple, one set"
          + " per data-parallel replica), got " + workers);
    }
    return workers / schedule.devices();
  }

  /**
   * A coordinator that starts the job at once on the given (opened) devices, one per schedule
   * device, and reports to {@code listener}. It closes the devices when it stops.
   */
  public static Behavior<Command> create(JobConfig job, List<DeviceCompute> devices, ActorRef<JobEvent> listener) {
    return create(job, devices, listener, TensorTransport.local());
  }

  /** {@link #create(JobConfig, List, ActorRef)} with the workers' tensors through {@code transport}. */
  public static Behavior<Command> create(JobConfig job, List<DeviceCompute> devices, ActorRef<JobEvent> listener,
      TensorTransport transport) {
    return Behaviors.setup(ctx -> {
      Schedule schedule = job.schedule();
      replicas(schedule, devices.size());
      List<ActorRef<StageWorker.Command>> spawned = new ArrayList<>();
      for (int d = 0; d < devices.size(); d++) {
        DeviceCompute device = devices.get(d);
        spawned.add(ctx.spawn(StageWorker.create(job.jobId(), d, schedule.stages(), schedule.chunksPerDevice(),
            java.util.Set.copyOf(schedule.placement().stagesOf(d % schedule.devices())),
            device.compute(), device.executor(), transport), "stage-worker-" + d));
      }
      return Behaviors.withTimers(timers -> start(new Coordinator(ctx, timers, job, devices, spawned, listener)));
    });
  }

  /**
   * A coordinator that drives stage workers that already exist (one per schedule device, in
   * device order, possibly in other JVMs) and reports to {@code listener}. It owns no devices:
   * whoever spawned the workers releases them.
   */
  public static Behavior<Command> forWorkers(JobConfig job, List<ActorRef<StageWorker.Command>> stageWorkers,
      ActorRef<JobEvent> listener) {
    List<ActorRef<StageWorker.Command>> copy = List.copyOf(stageWorkers);
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        start(new Coordinator(ctx, timers, job, List.of(), copy, listener))));
  }

  private static Coordinator start(Coordinator c) {
    if (c.job.startStep() >= c.job.steps()) {
      c.collectWeights();
    } else {
      c.startStep(c.job.startStep());
    }
    return c;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(FromWorker.class, this::onWorker)
        .onMessage(StepTimedOut.class, this::onTimeout)
        .onMessage(Reroute.class, this::onReroute)
        .onMessage(PeerLostHoldEnded.class, this::onPeerLostHoldEnded)
        .onMessage(CheckpointNow.class, this::onCheckpointNow)
        .onMessage(Cancel.class, this::onCancel)
        .onMessage(Committed.class, this::onCommitted)
        .onMessage(WeightsHashed.class, this::onWeightsHashed)
        .onSignal(org.apache.pekko.actor.typed.PostStop.class, s -> {
          devices.forEach(DeviceCompute::close);
          return this;
        })
        .build();
  }

  private void startStep(long s) {
    step = s;
    phase = Phase.COMPUTE;
    reports.clear();
    heldFailure = null;
    stepStartNanos = System.nanoTime();
    for (ActorRef<StageWorker.Command> worker : workers) {
      worker.tell(new StageWorker.StartStep(job.jobId(), s, replyAdapter));
    }
    timers.startSingleTimer("step-timeout", new StepTimedOut(s), job.stepTimeout());
  }

  private Behavior<Command> onWorker(FromWorker msg) {
    StageWorker.Reply reply = msg.reply();
    if (reply instanceof StageWorker.StepReported r) {
      return onStepReported(r.report());
    } else if (reply instanceof StageWorker.StepFailed f) {
      return onStepFailed(f.error());
    } else if (reply instanceof StageWorker.UpdateApplied u) {
      return onUpdateApplied(u);
    } else if (reply instanceof StageWorker.UpdateFailed u) {
      return failed(u.message());
    } else if (reply instanceof StageWorker.WeightsReported w) {
      return onWeights(w);
    } else if (reply instanceof StageWorker.CheckpointWritten c) {
      return onCheckpointWritten(c);
    } else if (reply instanceof StageWorker.CheckpointFailed c) {
      commits.dropped(c.step());
      if (phase == Phase.PAUSED && !commits.busy()) {
        timers.cancel("step-timeout");
      }
      emit("checkpoint-skipped", "checkpoint step-" + c.step() + " not committed: " + c.message());
      return maybeSucceed();
    }
    return this;
  }

  /**
   * A failed step: the job fails, except with data parallelism when the failure is a send to a
   * peer that may be gone: held then for {@link #PEER_LOST_HOLD} (announced {@code peer-lost}),
   * time for the job to learn that a node died and {@link Reroute}; while rerouting, the lost
   * replicas' failed sends are expected.
   */
  private Behavior<Command> onStepFailed(ErrorReport e) {
    if (rerouteIntact != null && phase == Phase.PAUSED) {
      return this; // the rerouted step is done; a lost replica's late failure changes nothing
    }
    boolean peerLost = e.getPeerLost() && replicas > 1 && phase == Phase.COMPUTE && e.getStep() == step;
    if (peerLost && rerouteIntact != null) {
      return this;
    }
    if (!peerLost) {
      return failed(describe(e));
    }
    if (heldFailure == null) {
      heldFailure = e;
      emit("peer-lost", describe(e) + "; waiting up to " + PEER_LOST_HOLD.toSeconds()
          + " s to learn whether a node is gone (a data-parallel replica may take over its microbatches)");
      timers.startSingleTimer("peer-lost", new PeerLostHoldEnded(step), PEER_LOST_HOLD);
    }
    return this;
  }

  private Behavior<Command> onPeerLostHoldEnded(PeerLostHoldEnded h) {
    if (h.step() != step || phase != Phase.COMPUTE || rerouteIntact != null || heldFailure == null) {
      return this;
    }
    return failed(describe(heldFailure));
  }

  /** The intact replicas finish the step in flight, else the job fails (see {@link Reroute}). */
  private Behavior<Command> onReroute(Reroute r) {
    int p = schedule.devices();
    java.util.SortedSet<Integer> broken = new java.util.TreeSet<>();
    r.lostWorkers().forEach(w -> broken.add(w / p));
    List<Integer> intact = new ArrayList<>();
    for (int q = 0; q < replicas; q++) {
      if (!broken.contains(q)) {
        intact.add(q);
      }
    }
    if (phase == Phase.UPDATE && rerouteIntact == null && !intact.isEmpty()) {
      // every gradient is in and reduced: the intact replicas' updates complete the step
      rerouteIntact = List.copyOf(intact);
      acks = (int) answered.stream().filter(d -> intact.contains(d / p)).count();
      emit("rerouting", "step " + step + ": " + r.why() + "; its gradients were all reduced, so the updates of"
          + " replicas " + intact + " complete it");
      return acks >= activeWorkers().size() ? stepDone() : this;
    }
    String cannot = null;
    if (phase != Phase.COMPUTE) {
      cannot = "the step is in phase " + phase.name().toLowerCase(java.util.Locale.ROOT);
    } else if (rerouteIntact != null) {
      cannot = "replicas " + rerouteIntact + " already reroute it";
    } else if (intact.isEmpty()) {
      cannot = "no replica is left intact";
    }
    if (cannot != null) {
      return failed("step " + step + ": " + r.why() + "; its microbatches cannot be rerouted (" + cannot + ")");
    }
    rerouteIntact = List.copyOf(intact);
    timers.cancel("peer-lost");
    heldFailure = null;
    // lost group b (replica b's; with replicas, groups = replicas) goes to the intact replicas in turn
    List<Integer> hostOf = new ArrayList<>();
    for (int g = 0; g < replicas; g++) {
      hostOf.add(g);
    }
    int turn = 0;
    for (int b : broken) {
      hostOf.set(b, intact.get(turn++ % intact.size()));
    }
    int m = schedule.microbatches();
    java.util.StringJoiner who = new java.util.StringJoiner("; ");
    for (int q : intact) {
      List<Integer> offsets = new ArrayList<>();
      List<Integer> groups = new ArrayList<>();
      java.util.StringJoiner ranges = new java.util.StringJoiner(", ");
      for (int b : broken) {
        if (hostOf.get(b) == q) {
          offsets.add((b - q) * m);
          groups.add(b);
          ranges.add("[" + b * m + ", " + (b + 1) * m + ")");
        }
      }
      if (!groups.isEmpty()) {
        who.add("replica " + q + " also runs microbatches " + ranges + " of replica(s) " + groups);
      }
      StageWorker.Reroute reroute = new StageWorker.Reroute(step, offsets, groups,
          intact.size() == 1 ? List.of() : hostOf);
      for (int d = 0; d < p; d++) {
        workers.get(q * p + d).tell(reroute);
      }
    }
    for (int w = 0; w < workers.size(); w++) {
      if (broken.contains(w / p)) {
        workers.get(w).tell(new StageWorker.AbortStep(step));
      }
    }
    reports.clear(); // every intact worker reports the step again, rerouted (a device already done, too)
    emit("rerouting", "step " + step + ": " + r.why() + "; " + who + " after its own and "
        + (intact.size() == 1 ? "sums the reduction groups in order"
        : "the all-reduce among replicas " + intact + " sums them in group order"));
    return this;
  }

  /** The workers the step in flight waits for: every one, or the intact replicas'. */
  private List<ActorRef<StageWorker.Command>> activeWorkers() {
    if (rerouteIntact == null) {
      return workers;
    }
    int p = schedule.devices();
    List<ActorRef<StageWorker.Command>> active = new ArrayList<>();
    rerouteIntact.forEach(q -> active.addAll(workers.subList(q * p, (q + 1) * p)));
    return active;
  }

  private Behavior<Command> onStepReported(StepReport report) {
    if (phase != Phase.COMPUTE || report.getStep() != step
        || rerouteIntact != null && (!report.getRerouted()
        || !rerouteIntact.contains(report.getDevice() / schedule.devices()))) {
      return this;
    }
    reports.put(report.getDevice(), report);
    if (reports.size() < activeWorkers().size()) {
      return this;
    }
    int normReplica = rerouteIntact == null ? 0 : rerouteIntact.get(0);
    // flush: every device finished its ops of this step
    SortedMap<Integer, Double> losses = new TreeMap<>();
    SortedMap<Integer, Double> gradSumSquares = new TreeMap<>();
    for (StepReport r : reports.values()) {
      for (int i = 0; i < r.getLossMicrobatchesCount(); i++) {
        losses.put(r.getLossMicrobatches(i), r.getMicrobatchLoss(i));
      }
      for (int i = 0; r.getDevice() / schedule.devices() == normReplica && i < r.getLayerIndexCount(); i++) {
        // one replica's: after the all-reduce every replica holds the same gradients
        gradSumSquares.merge(r.getLayerIndex(i), r.getLayerGradSumSquares(i), Double::sum);
      }
    }
    double lossSum = 0;
    for (double l : losses.values()) {
      lossSum += l; // microbatch order; each microbatch's loss is already scaled by 1/microbatches
    }
    lastLoss = lossSum;
    if (Double.isNaN(lastLoss) || Double.isInfinite(lastLoss)) {
      return failed("step " + step + ": loss is " + lastLoss + " (microbatch losses " + losses.values()
          + "); lower the learning rate or check the data");
    }
    double[] perLayer = gradSumSquares.values().stream().mapToDouble(Double::doubleValue).toArray();
    lastNorm = GradientClipping.globalNorm(perLayer); // layer order: the same whatever the partition
    double scale = GradientClipping.scale(lastNorm, job.clipNorm());
    phase = Phase.UPDATE;
    acks = 0;
    answered.clear();
    activeWorkers().forEach(w -> w.tell(new StageWorker.ApplyUpdate(step, scale, replyAdapter)));
    return this;
  }

  private Behavior<Command> onUpdateApplied(StageWorker.UpdateApplied u) {
    boolean lost = rerouteIntact != null && !rerouteIntact.contains(u.device() / schedule.devices());
    if (phase != Phase.UPDATE || u.step() != step || lost || !answered.add(u.device())
        || ++acks < activeWorkers().size()) {
      return this; // a lost replica's worker that still answers is not counted
    }
    return stepDone();
  }

  /** Every worker of the step applied its update: the step is done; the next one, a checkpoint or the end follows. */
  private Behavior<Command> stepDone() {
    timers.cancel("step-timeout");
    double millis = (System.nanoTime() - stepStartNanos) / 1e6;
    double[] units = new double[workers.size()];
    long[] bytes = new long[workers.size()];
    reports.forEach((d, r) -> {
      units[d] = r.getPeakActivationUnits();
      bytes[d] = r.getPeakActivationBytes();
    });
    listener.tell(new JobEvent.StepCompleted(step, lastLoss, millis, units, bytes, lastNorm,
        List.copyOf(reports.values())));
    if (rerouteIntact != null) {
      // the owner re-plans over the survivors from their live states (the lost replicas' workers are gone)
      phase = Phase.PAUSED;
      step = step + 1;
      emit("rerouted", "step " + (step - 1) + " completed on " + (rerouteIntact.size() == 1 ? "replica "
          + rerouteIntact.get(0) + " alone" : "replicas " + rerouteIntact) + "; re-planning over the survivors from"
          + " step " + step);
      return this;
    }
    CheckpointPolicy cp = job.checkpoints();
    if (checkpointNow && step + 1 >= job.steps()) {
      checkpointNow = false;
      // the job's final checkpoint, taken below, answers the request
    }
    boolean forced = checkpointNow && step + 1 < job.steps();
    if (cp != null && (cp.due(step + 1, job.steps()) || forced)) {
      // before the next step's programs: each worker snapshots ahead of its next op
      commits.expect(step + 1);
      long keepFrom = commits.keepFrom();
      workers.subList(0, schedule.devices()).forEach(w -> w.tell(new StageWorker.TakeCheckpoint(step + 1, cp.dir(),
          cp.jobId(), replyAdapter, keepFrom)));
      checkpointNow = false;
      if (forced && pauseAfterCheckpoint) {
        phase = Phase.PAUSED; // the one who asked takes over once the checkpoint is committed
        step = step + 1;
        timers.startSingleTimer("step-timeout", new StepTimedOut(step), job.stepTimeout());
        return this;
      }
    }
    int snapshotEvery = snapshotEvery(millis);
    if (step + 1 < job.steps()) {
      if (snapshotEvery > 0 && (step + 1) % snapshotEvery == 0) {
        // like a checkpoint: each worker copies its states before its next op; the nodes report what they hold
        workers.subList(0, schedule.devices()).forEach(w -> w.tell(new StageWorker.TakeSnapshot(step + 1)));
      }
      startStep(step + 1);
    } else {
      collectWeights();
    }
    return this;
  }

  /** Checkpoint at the end of the step in flight; an unanswerable request is answered checkpoint-skipped. */
  private Behavior<Command> onCheckpointNow(CheckpointNow c) {
    if (job.checkpoints() == null) {
      emit("checkpoint-skipped", "checkpoint on request not taken: job " + job.jobId()
          + " has no checkpoint directory (checkpointDir)");
    } else if (phase == Phase.WEIGHTS || phase == Phase.FINISHING || phase == Phase.DONE) {
      emit("checkpoint-skipped", "checkpoint on request not taken: job " + job.jobId() + " is finishing");
    } else {
      checkpointNow = true;
      pauseAfterCheckpoint |= c.pause();
    }
    return this;
  }

  private Behavior<Command> onCancel(Cancel msg) {
    if (phase == Phase.DONE || phase == Phase.FINISHING) {
      return this;
    }
    long completed = phase == Phase.WEIGHTS ? job.steps() : step;
    timers.cancelAll();
    workers.forEach(w -> w.tell(new StageWorker.AbortStep(step)));
    phase = Phase.DONE;
    getContext().getLog().info("job {} cancelled after {} step(s): {}", job.jobId(), completed, msg.reason());
    listener.tell(new JobEvent.JobCancelled(completed, msg.reason()));
    return Behaviors.stopped();
  }

  private void collectWeights() {
    phase = Phase.WEIGHTS;
    weights.clear();
    replicaWeights.clear();
    acks = 0;
    answered.clear();
    timers.startSingleTimer("step-timeout", new StepTimedOut(step), job.stepTimeout());
    workers.forEach(w -> w.tell(new StageWorker.CollectWeights(replyAdapter)));
  }

  private Behavior<Command> onCheckpointWritten(StageWorker.CheckpointWritten w) {
    CompletableFuture<CheckpointCommits.Outcome> commit = commits.written(w, plan(), io);
    if (commit != null) {
      getContext().pipeToSelf(commit, (outcome, err) -> new Committed(outcome));
    }
    return this;
  }

  private Behavior<Command> onCommitted(Committed c) {
    commits.finished(c.outcome());
    if (phase == Phase.PAUSED && !commits.busy()) {
      timers.cancel("step-timeout"); // paused for whoever asked; the timer only bounded the checkpoint
    }
    emit(c.outcome().kind(), c.outcome().message());
    return maybeSucceed();
  }

  private Plan plan() {
    Plan.Builder p = Plan.newBuilder().setSchedule(schedule.name()).setDevices(schedule.devices())
        .setMicrobatches(schedule.microbatches());
    for (int v = 0; v < schedule.stages(); v++) {
      p.addPlacement(schedule.placement().device(v));
    }
    workers.subList(0, schedule.devices()).forEach(w -> p.addDeviceAddresses(w.path().toString()));
    return p.build();
  }

  /** Steps between snapshots now (0 = none); an automatic interval is chosen once the first steps are timed. */
  private int snapshotEvery(double stepMillis) {
    if (job.snapshotEvery() != JobConfig.AUTO_SNAPSHOTS) {
      return job.snapshotEvery();
    }
    long largest = reports.values().stream().mapToLong(StepReport::getStateBytes).max().orElse(0);
    int chosen = autoSnapshots.stepDone(step == job.startStep(), stepMillis, largest);
    if (chosen > 1) { // 1: what it did meanwhile, nothing to say
      emit("snapshot-interval", String.format(java.util.Locale.ROOT, "in-memory snapshots every %d steps: the"
          + " largest device state is %.1f MB and a step takes %.0f ms (snapshots may take %.0f %% of the steps at an"
          + " assumed %.0f MB/s; --snapshot-every K sets it)", chosen,
          autoSnapshots.stateBytes() / 1e6, autoSnapshots.stepMillis(), 100 * SnapshotInterval.OVERHEAD,
          SnapshotInterval.BYTES_PER_SECOND / 1e6));
    }
    return autoSnapshots.every();
  }

  private void emit(String kind, String message) {
    getContext().getLog().info("job {}: {}", job.jobId(), message);
    listener.tell(new JobEvent.Progress(kind, message));
  }

  private Behavior<Command> onWeights(StageWorker.WeightsReported w) {
    if (phase != Phase.WEIGHTS) {
      return this;
    }
    replicaWeights.put(w.device(), w.weights());
    answered.add(w.device());
    if (++acks < workers.size()) {
      return this;
    }
    for (Map.Entry<Integer, SortedMap<Integer, byte[]>> d : replicaWeights.entrySet()) {
      for (Map.Entry<Integer, byte[]> e : d.getValue().entrySet()) {
        if (d.getKey() < schedule.devices() && weights.put(e.getKey(), e.getValue()) != null) {
          return failed("layer " + e.getKey() + " reported by two devices (device " + d.getKey() + " is one)");
        }
      }
    }
    for (Map.Entry<Integer, SortedMap<Integer, byte[]>> d : replicaWeights.entrySet()) {
      for (Map.Entry<Integer, byte[]> e : d.getValue().entrySet()) {
        if (d.getKey() >= schedule.devices() && !java.util.Arrays.equals(weights.get(e.getKey()), e.getValue())) {
          return failed("data-parallel replica " + d.getKey() / schedule.devices() + " diverged: its layer "
              + e.getKey() + " differs from replica 0's");
        }
      }
    }
    phase = Phase.FINISHING; // the step timeout still bounds the wait for checkpoints in flight
    SortedMap<Integer, byte[]> all = new TreeMap<>(weights);
    getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> WeightsDigest.combine(all), io), WeightsHashed::new);
    return this;
  }

  private Behavior<Command> onWeightsHashed(WeightsHashed h) {
    if (phase != Phase.FINISHING) {
      return this;
    }
    if (h.error() != null) {
      return failed("hashing the weights failed: " + h.error().getMessage());
    }
    weightsSha256 = h.sha256();
    return maybeSucceed();
  }

  /** The job succeeds once the weights are hashed and its checkpoints are committed (or skipped). */
  private Behavior<Command> maybeSucceed() {
    if (phase != Phase.FINISHING || weightsSha256 == null || commits.busy()) {
      return this;
    }
    timers.cancel("step-timeout");
    phase = Phase.DONE;
    listener.tell(new JobEvent.JobSucceeded(job.steps(), lastLoss, weightsSha256));
    return Behaviors.stopped();
  }

  private Behavior<Command> onTimeout(StepTimedOut t) {
    if (phase == Phase.DONE || t.step() != step) {
      return this;
    }
    if (phase == Phase.FINISHING && weightsSha256 != null) {
      getContext().getLog().warn("job {}: checkpoints still in flight at the end; not waiting for them", job.jobId());
      phase = Phase.DONE;
      listener.tell(new JobEvent.JobSucceeded(job.steps(), lastLoss, weightsSha256));
      return Behaviors.stopped();
    }
    return failed(timeoutMessage());
  }

  /**
   * Why the step timed out: the step, the phase and the devices (with their nodes) that did not
   * answer, e.g. a worker that stopped answering or a reply the transport dropped (too large).
   */
  private String timeoutMessage() {
    String what = switch (phase) {
      case COMPUTE -> "a step report";
      case UPDATE -> "an update acknowledgement";
      case WEIGHTS -> "their weights";
      case PAUSED -> "the checkpoint";
      default -> "an answer";
    };
    java.util.StringJoiner missing = new java.util.StringJoiner(", ");
    for (int d = 0; d < workers.size(); d++) {
      boolean done = switch (phase) {
        case COMPUTE -> reports.containsKey(d);
        case UPDATE, WEIGHTS -> answered.contains(d);
        default -> false;
      };
      if (!done) {
        org.apache.pekko.actor.Address a = workers.get(d).path().address();
        missing.add(d + (a.hasLocalScope() ? "" : " (" + a.hostPort() + ")"));
      }
    }
    String devices = phase == Phase.PAUSED ? "" : "; devices without " + what + ": " + missing;
    Duration t = job.stepTimeout();
    String after = t.toMillis() % 1000 == 0 ? t.toSeconds() + " s" : t.toMillis() + " ms";
    return (phase == Phase.WEIGHTS ? "collecting the final weights" : "step " + step) + " timed out after " + after
        + " in phase "
        + phase.name().toLowerCase(java.util.Locale.ROOT) + devices;
  }

  private Behavior<Command> failed(String message) {
    timers.cancelAll();
    workers.forEach(w -> w.tell(new StageWorker.AbortStep(step)));
    phase = Phase.DONE;
    getContext().getLog().error("job {} failed: {}", job.jobId(), message);
    listener.tell(new JobEvent.JobFailed(message));
    return Behaviors.stopped();
  }

  private static String describe(ErrorReport e) {
    String op = e.hasOp() ? " at op " + ProtoOps.describe(e.getOp()) + " (microbatch "
        + e.getOp().getMicrobatch() + ", virtual stage " + e.getOp().getVirtualStage() + ")" : "";
    return "step " + e.getStep() + " failed on " + e.getWorker() + op + ": " + e.getMessage();
  }


}
