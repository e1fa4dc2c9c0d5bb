package io.tandem.actors.cluster;

import io.tandem.actors.blocking.BlockingExecutors;
import io.tandem.actors.coordinator.CheckpointPolicy;
import io.tandem.actors.coordinator.Coordinator;
import io.tandem.actors.JobEvent;
import io.tandem.actors.JobFactory;
import io.tandem.actors.JobSpecs;
import io.tandem.actors.coordinator.RecoveryPlanner;
import io.tandem.proto.JobSpec;
import io.tandem.schedule.Schedule;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.Set;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * One job on the cluster, from submission to its end: waits for enough node agents, asks them
 * for their data plane endpoints, assigns schedule devices to nodes ({@link DevicePlacement}),
 * has each agent spawn its stage workers, then drives the steps with a {@link Coordinator} over
 * those (remote) workers and forwards its events to the submitter.
 *
 * <p>Node failures (DESIGN.md "Failure"): when a node of the job becomes unreachable the step
 * in flight is aborted; once the Split Brain Resolver has downed it, the job is re-planned over
 * the surviving devices ({@link RecoveryPolicy}, {@link RecoveryPlanner}), the new stage workers
 * load their layers from the newest valid checkpoint (or start from step 0 when there is none),
 * and training goes on from that step. A coordinator-reported failure with no unreachable node
 * within the confirm window fails the job. Every stage of a recovery is reported as a
 * {@link JobEvent.Progress}.
 *
 * <p>A thin actor wiring its parts: {@link NodeMembership} (which node is up, chosen, lost,
 * joining, leaving; which devices it runs, from {@link DevicePlacement}), {@link NodeChanges}
 * (what a node change does to the job), {@link AttemptDriver} (workers and coordinator of one
 * attempt), {@link JobRecovery} with {@link RecoveryPolicy} and {@link CheckpointLookup}
 * (survivors, re-plan, the checkpoint to restore, looked up on the blocking executor and piped
 * back), {@link JobReporter} (events to the submitter) and {@link RunRecord} (the job store
 * record and the job's end). Nothing blocking runs on its thread.
 */
final class JobRun extends AbstractBehavior<JobRun.Command> implements NodeChanges.Job, JobRecovery.Job {

  sealed interface Command {}

  private record AgentsChanged(Set<ActorRef<NodeAgent.Command>> agents) implements Command {}

  private record FromAgent(NodeAgent.Reply reply) implements Command {}

  private record FromCoordinator(int attempt, JobEvent event) implements Command {}

  private record TimedOut(String phase, int attempt) implements Command {}

  private record MemberChanged(ClusterEvent.MemberEvent event) implements Command {}

  private record ReachabilityChanged(ClusterEvent.ReachabilityEvent event) implements Command {}

  /** A {@link CrashProbe} of {@code node} came back. */
  private static final java.time.Duration CRASH_PROBE_TIMEOUT = java.time.Duration.ofMillis(500);

  private record CrashProbed(String node, CrashProbe.Verdict verdict) implements Command {}

  private record ConfirmWindowEnded(int attempt, String message) implements Command {}

  /** The checkpoint lookup {@code lookup} is done; {@code error} when the store could not be read. */
  private record CheckpointFound(int lookup, CheckpointLookup.Found found, Throwable error) implements Command {}

  /** The manifest of the disk checkpoint attempt {@code attempt} restores was read ({@code error}: it was not). */
  private record ManifestRead(int attempt, CheckpointLookup.Manifest read, Throwable error) implements Command {}

  /** The wait of attempt {@code attempt} for the nodes holding its checkpoint's files ended. */
  private record ShardHoldersWaitEnded(int attempt) implements Command {}

  /** Cancel the job: while a step runs, its coordinator drops it; in any other phase the job ends at once. */
  record Cancel(String reason) implements Command {}

  /**
   * Move the job off {@code node} (a cluster address): checkpoint at the next step boundary (when
   * the job has a checkpoint directory), re-plan without the node, restore, then let the node
   * leave the cluster. A node the job does not use leaves at once.
   */
  record Drain(String node) implements Command {}

  /** Checkpoint at the next step boundary (see {@link Coordinator.CheckpointNow}). */
  enum CheckpointNow implements Command { INSTANCE }

  /** The nodes other jobs use (from the job master): never chosen or taken in by this job. */
  record NodesOfOtherJobs(Set<String> nodes) implements Command {}

  enum Phase { WAIT_NODES, DESCRIBE, SPAWN, RUN, SUSPECT, RECOVERING }


  private final JobSpec spec;
  private final int minNodes;
  /** The job's events go to its submitter through here. */
  private final JobHistoryLog events;
  private final ClusterSettings settings;
  private final TimerScheduler<Command> timers;
  private final ActorRef<NodeAgent.Reply> agentAdapter;
  private final ClusterWatch watch;
  private final Address selfAddress;
  private final NodeMembership<ActorRef<NodeAgent.Command>> members = new NodeMembership<>();
  private final JobReporter reporter;
  private final NodeChanges changes;
  private final RunRecord record;
  private final int firstAttempt;
  private final ActorRef<JobMaster.Command> master;
  /** The nodes the job master gave the job to start on (empty: any not used by other jobs). */
  private final Set<String> allotted;
  private Set<String> otherJobsNodes;
  private Set<ActorRef<NodeAgent.Command>> agents = Set.of();
  private Set<String> reportedNodes = Set.of();
  /** False once the job chooses again (a chosen node failed before it started): any free node will do. */
  private boolean useAllotment = true;

  private Phase phase = Phase.WAIT_NODES;
  private int attempt;
  private JobSpec runSpec;
  private Schedule schedule;
  private AttemptDriver<Command> driver;
  private JobRecovery recovery;
  /** In-memory peer snapshots (issue 14): who holds what, and the job's snapshot key. */
  private final SnapshotLedger snapshots;
  private final byte[] snapshotKey = new byte[32];
  /** The snapshot {@link #snapshotStep} found for the re-plan under way (null: none). */
  private SnapshotLedger.Restorable memoryRestore;
  /** The attempt restores from peer memory: on a spawn failure it is retried from {@link #diskFallback}. */
  private boolean restoringFromMemory;
  private RecoveryPolicy.Replan lastReplan;
  /** Nodes a job node's data plane saw close or reset its connection, being probed. */
  private final Set<String> dataPlaneHints = new java.util.HashSet<>();
  private long diskFallback = -1;
  /** Nodes asked to keep their released workers' live states (run {@link #keptRun}), until they answer. */
  private final Map<String, java.util.concurrent.CompletableFuture<Void>> statesKept = new java.util.HashMap<>();
  private String keptRun = "";
  /** How long a restart waits for a node to keep its released workers' live states. */
  private static final java.time.Duration STATE_KEPT_TIMEOUT = java.time.Duration.ofSeconds(5);
  /** Finds checkpoints and reads their manifests on the blocking executor. */
  private final CheckpointLookup checkpointLookup;
  /** The user named the checkpoint the job starts from ({@code resumeStep}): no older one is tried instead. */
  private boolean resumeNamed;
  /** A disk restore waiting for the nodes whose disks hold some of its files to join (null: none). */
  private ManifestRead waitingForHolders;
  /** Nodes holding checkpoint files that did not join in time: not waited for again. */
  private final Set<String> holdersGivenUp = new java.util.HashSet<>();
  /** The lost node whose replica's microbatches an intact replica finishes now (null: none). */
  private String reroutingFor;

  private JobRun(ActorContext<Command> ctx, TimerScheduler<Command> timers, JobSpec spec, int minNodes,
      JobHistoryLog events, ClusterSettings settings, int firstAttempt, JobStore store,
      ActorRef<JobMaster.Command> master, Set<String> allotted, Set<String> otherJobsNodes) {
    super(ctx);
    this.spec = spec;
    this.master = master;
    this.allotted = Set.copyOf(allotted);
    this.otherJobsNodes = Set.copyOf(otherJobsNodes);
    this.firstAttempt = firstAttempt;
    this.attempt = firstAttempt;
    this.runSpec = firstAttempt == 0 ? spec : spec.toBuilder().setJobId(spec.getJobId() + "-r" + firstAttempt).build();
    this.minNodes = Math.max(1, minNodes);
    this.events = events;
    this.settings = settings;
    this.timers = timers;
    this.reporter = new JobReporter(spec.getJobId(), events::tell, ctx.getLog(), System::nanoTime);
    this.changes = new NodeChanges(spec.getJobId(), members, reporter, this);
    java.util.concurrent.Executor io = BlockingExecutors.get(ctx.getSystem()).io();
    this.record = new RunRecord(spec, this.minNodes, events,
        store == null ? "" : ActorRefResolver.get(ctx.getSystem()).toSerializationFormat(events.submitter()), store,
        master, io);
    this.selfAddress = Cluster.get(ctx.getSystem()).selfMember().address();
    this.agentAdapter = ctx.messageAdapter(NodeAgent.Reply.class, FromAgent::new);
    // peer snapshots, and the live states of released workers (data parallelism); PipeDream-2BW: none
    this.snapshots = new SnapshotLedger(JobSpecs.twoBw(spec) ? 0 : modelLayers(spec));
    this.checkpointLookup = new CheckpointLookup(io);
    new java.security.SecureRandom().nextBytes(snapshotKey);
    this.watch = ClusterWatch.start(ctx, AgentsChanged::new, MemberChanged::new, ReachabilityChanged::new);
    timers.startSingleTimer("phase", new TimedOut("waiting for " + this.minNodes + " worker node(s)", 0),
        settings.nodeWaitTimeout());
  }

  /**
   * @param firstAttempt 0 for a new job; otherwise the job resumes (its job master moved) as
   *     this attempt, from its last checkpoint
   * @param store where the running job is recorded (null = nowhere)
   * @param allotted the nodes to start on (empty: any not used by other jobs)
   * @param otherJobsNodes the nodes other jobs use
   */
  static Behavior<Command> create(JobSpec spec, int minNodes, JobHistoryLog events, ClusterSettings settings,
      int firstAttempt, JobStore store, ActorRef<JobMaster.Command> master, Set<String> allotted,
      Set<String> otherJobsNodes) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      JobRun run = new JobRun(ctx, timers, spec, minNodes, events, settings, firstAttempt, store, master, allotted,
          otherJobsNodes);
      try {
        JobSpecs.check(spec); // the one validator: the same rules and words as the CLI, Java API and admin API
        run.schedule = JobFactory.schedule(spec);
        CheckpointPolicy.of(spec);
        run.recovery = new JobRecovery(spec, run.members, new RecoveryPolicy(spec, new RecoveryPlanner(spec)::replan),
            run.checkpointLookup, run.reporter, run);
      } catch (RuntimeException e) {
        master.tell(new JobMaster.RunEnded(spec.getJobId()));
        events.tell(new JobEvent.JobFailed(e.getMessage()));
        return Behaviors.stopped();
      }
      run.record.attempt(firstAttempt);
      return run;
    }));
  }

  /** The layers of the spec's model whose state a snapshot holds (0: none, e.g. the sim backend). */
  /** "3 device(s)", or "4 device(s) (2 data-parallel replicas x 2)": every device the attempt runs on. */
  static String devicesOf(JobSpec runSpec, Schedule schedule) {
    int replicas = Math.max(1, runSpec.getDataParallel());
    return replicas * schedule.devices() + " device(s)"
        + (replicas > 1 ? " (" + replicas + " data-parallel replicas x " + schedule.devices() + ")" : "");
  }

  private static int modelLayers(JobSpec spec) {
    if (spec.getBackend().equalsIgnoreCase("sim")) {
      return 0;
    }
    try {
      return io.tandem.model.ModelShapes.parse(spec.getModel()).numLayers();
    } catch (RuntimeException e) {
      return 0;
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(AgentsChanged.class, this::onAgents)
        .onMessage(FromAgent.class, this::onAgent)
        .onMessage(FromCoordinator.class, this::onEvent)
        .onMessage(MemberChanged.class, this::onMemberChanged)
        .onMessage(ReachabilityChanged.class, m -> changes.reachability(m.event()))
        .onMessage(ConfirmWindowEnded.class, this::onConfirmWindowEnded)
        .onMessage(CrashProbed.class, this::onCrashProbed)
        .onMessage(CheckpointFound.class, m -> recovery.found(m.lookup(), m.found(), m.error()))
        .onMessage(ManifestRead.class, this::onManifestRead)
        .onMessage(ShardHoldersWaitEnded.class, this::onShardHoldersWaitEnded)
        .onMessage(Cancel.class, this::onCancel)
        .onMessage(Drain.class, m -> changes.drain(m.node()))
        .onMessage(NodesOfOtherJobs.class, this::onNodesOfOtherJobs)
        .onMessageEquals(CheckpointNow.INSTANCE, this::onCheckpointNow)
        .onMessage(TimedOut.class, t -> t.attempt() == attempt
            ? fail("job " + spec.getJobId() + " timed out " + t.phase() + " (" + membership() + ")") : this)
        .onSignal(PostStop.class, s -> {
          watch.stop();
          return this;
        })
        .build();
  }

  private String nodeOf(ActorRef<?> ref) {
    Address a = ref.path().address();
    return (a.hasLocalScope() ? selfAddress : a).toString();
  }

  /** The node agents known and the members' status, for a timeout's message. */
  private String membership() {
    ClusterEvent.CurrentClusterState state = Cluster.get(getContext().getSystem()).state();
    StringBuilder b = new StringBuilder("node agents:");
    members.listed().keySet().forEach(n -> b.append(' ').append(n).append(members.healthy(n) ? "" : " (not usable)"));
    b.append("; members:");
    state.getMembers().forEach(m -> b.append(' ').append(m.address()).append('=').append(m.status()));
    state.getUnreachable().forEach(m -> b.append("; unreachable ").append(m.address()));
    return b.toString();
  }

  private Behavior<Command> onNodesOfOtherJobs(NodesOfOtherJobs msg) {
    otherJobsNodes = Set.copyOf(msg.nodes());
    otherJobsNodes.forEach(members::joinerGone);
    return onAgents(new AgentsChanged(agents));
  }

  /** Whether the job may use {@code node}: not another job's, and (before it starts) one it was given. */
  private boolean mayUse(String node) {
    if (members.chosen().containsKey(node)) {
      return true;
    }
    if (otherJobsNodes.contains(node)) {
      return false;
    }
    return allotted.isEmpty() || !useAllotment || phase != Phase.WAIT_NODES || allotted.contains(node);
  }

  /** Tells the job master which nodes the job uses, when that changed. */
  private void reportNodes() {
    Set<String> nodes = Set.copyOf(members.reachableChosen().keySet());
    if (!nodes.equals(reportedNodes)) {
      reportedNodes = nodes;
      master.tell(new JobMaster.NodesInUse(spec.getJobId(), nodes));
    }
  }

  private Behavior<Command> onAgents(AgentsChanged msg) {
    agents = msg.agents();
    Map<String, ActorRef<NodeAgent.Command>> byNode = new TreeMap<>();
    msg.agents().forEach(a -> {
      String node = nodeOf(a);
      if (mayUse(node)) {
        byNode.put(node, a);
      }
    });
    members.listed(byNode);
    getContext().getLog().debug("job {}: {} node agent(s), healthy: {}", spec.getJobId(), msg.agents().size(),
        members.healthyListed().keySet());
    if (phase == Phase.WAIT_NODES && members.choose(minNodes, DevicePlacement.nodesToAsk(spec.getBackend(), spec.getDevices()))) {
      phase = Phase.DESCRIBE;
      reportNodes();
      timers.startSingleTimer("phase", new TimedOut("asking " + members.chosen().size()
          + " node(s) for their devices", attempt), settings.spawnTimeout());
      members.chosen().values().forEach(a -> a.tell(new NodeAgent.Describe(agentAdapter)));
    } else if (phase != Phase.WAIT_NODES && phase != Phase.DESCRIBE) {
      members.newJoiners().values().forEach(a -> a.tell(new NodeAgent.Describe(agentAdapter)));
    }
    return this; // nodes that leave are seen through cluster membership events
  }

  private Behavior<Command> onAgent(FromAgent msg) {
    NodeAgent.Reply r = msg.reply();
    if (r instanceof NodeAgent.Described d && members.isJoiner(d.registration().getNode())) {
      members.described(d.registration());
      boolean paused = phase == Phase.RECOVERING && recovery.pausedForNodes() && !recovery.waiting();
      reporter.emit("node-joined", "node " + d.registration().getNode() + " joined with "
          + d.registration().getDevicesCount() + " device(s); " + (paused ? "re-planning the paused job with it"
          : "it is taken in at the next checkpoint or re-plan"));
      if (paused) {
        return recovery.recover("node " + d.registration().getNode() + " joined");
      }
    } else if (r instanceof NodeAgent.Described d && phase == Phase.DESCRIBE && !recovery.waiting()) {
      if (members.described(d.registration())) {
        if (firstAttempt > 0) {
          int have = members.chosen().keySet().stream()
              .mapToInt(n -> DevicePlacement.capacity(spec.getBackend(), members.registrations().get(n))).sum();
          if (have < jobDevices(runSpec)) { // some of its nodes died with the job master it was taken from
            members.assign(DevicePlacement.assign(spec.getBackend(), have, members.chosen().keySet(),
                members.registrations()));
            return recovery.resumeOnFewer(firstAttempt, "only " + have + " of its " + jobDevices(runSpec)
                + " device(s) are left after the take-over");
          }
          recovery.resume(firstAttempt);
        } else {
          resumeNamed = spec.getResumeStep() > 0;
          return startAttempt(null, spec.getResumeStep() > 0 ? spec.getResumeStep() : -1); // resumeStep: --resume
        }
      }
    } else if (r instanceof NodeAgent.WorkersSpawned w && phase == Phase.SPAWN && w.jobId().equals(runSpec.getJobId())) {
      if (driver.spawned(w.workers())) {
        startCoordinator();
      }
    } else if (r instanceof NodeAgent.NodeLeaving l) {
      return changes.leaving(l.node(), l.jobId(), runSpec.getJobId());
    } else if (r instanceof NodeAgent.DataPlanePeerLost l && l.jobId().equals(runSpec.getJobId())) {
      members.endpoints().forEach((node, endpoint) -> {
        if (endpoint.equals(l.endpoint()) && changes.inJob(node) && !members.isLost(node)
            && !members.wasConfirmedGone(node) && dataPlaneHints.add(node)) {
          getContext().getLog().info("job {}: {} lost its data plane connection to {}; probing it", spec.getJobId(),
              l.node(), node);
          confirmCrash(node);
        }
      });
    } else if (r instanceof NodeAgent.StateKept k && k.jobId().equals(keptRun)) {
      java.util.concurrent.CompletableFuture<Void> kept = statesKept.get(k.node());
      if (kept != null) {
        kept.complete(null);
      }
    } else if (r instanceof NodeAgent.SnapshotHeld h && h.jobId().equals(spec.getJobId())) {
      snapshots.held(h.node(), h.step(), h.layers());
    } else if (r instanceof NodeAgent.SpawnFailed f && phase == Phase.SPAWN && f.jobId().equals(runSpec.getJobId())) {
      if (restoringFromMemory) { // e.g. a holder died meanwhile: the disk checkpoint (or step 0) still works
        reporter.emit("snapshot-unavailable", "restoring step " + driver.restoreStep() + " from peer memory failed ("
            + f.node() + ": " + f.message() + "); restoring " + (diskFallback < 0 ? "from step 0" : "step " + diskFallback
            + " from disk") + " instead");
        stopDriver();
        release();
        restoringFromMemory = false;
        return startAttempt(lastReplan, diskFallback);
      }
      if (driver.restoreStep() >= 0 && !resumeNamed) {
        return restoreOlder("node " + f.node() + ": " + f.message());
      }
      return fail("node " + f.node() + " could not start its workers: " + f.message());
    }
    return this;
  }

  private void startCoordinator() {
    phase = Phase.RUN;
    timers.cancelAll(); // the coordinator times every step itself
    long restoreStep = driver.restoreStep();
    if (attempt > 0) {
      String from = restoringFromMemory ? "peer memory (nodes " + new java.util.TreeSet<>(
          memoryRestore.holderOfLayer().values()) + ")"
          : String.valueOf(Path.of(spec.getCheckpointDir()).resolve("step-" + restoreStep));
      String on = " on " + devicesOf(runSpec, schedule);
      reporter.restored(restoreStep < 0 ? "workers ready" + on + "; restarting from step 0"
          : "restored step " + restoreStep + " from " + from + on, restoreStep);
    }
    reporter.forward(driver.start(spec, settings.stepTimeout(), selfAddress, FromCoordinator::new));
  }

  @Override
  public void confirmCrash(String node) {
    org.apache.pekko.actor.Address address = org.apache.pekko.actor.AddressFromURIString.parse(node);
    getContext().pipeToSelf(java.util.concurrent.CompletableFuture.supplyAsync(
            () -> CrashProbe.probe(address, CRASH_PROBE_TIMEOUT), BlockingExecutors.get(getContext().getSystem()).io()),
        (verdict, err) -> new CrashProbed(node, err != null ? CrashProbe.Verdict.UNKNOWN : verdict));
  }

  /** A gone process is downed now; anything else is left to the split brain resolver. */
  private Behavior<Command> onCrashProbed(CrashProbed p) {
    boolean hinted = dataPlaneHints.remove(p.node());
    boolean suspected = members.isSuspect(p.node()) || phase == Phase.SUSPECT || hinted;
    if (p.verdict() != CrashProbe.Verdict.GONE || !suspected || !changes.inJob(p.node())
        || members.isLost(p.node()) || members.wasConfirmedGone(p.node())) {
      if (members.isSuspect(p.node()) && p.verdict() != CrashProbe.Verdict.GONE) {
        reporter.emit("probe", "node " + p.node() + (p.verdict() == CrashProbe.Verdict.LISTENING
            ? " still listens (stopped or partitioned?)" : " does not answer") + "; the split brain resolver decides");
      }
      return this;
    }
    members.confirmedGone(p.node());
    if (hinted && !members.isSuspect(p.node()) && phase != Phase.SUSPECT) {
      reporter.detected();
      reporter.emit("failure-detected", "node " + p.node() + " reset its data plane connections during step "
          + reporter.nextStep() + "; probing whether its process is gone");
    }
    reporter.emit("failure-confirmed", "node " + p.node() + " refused a connection to its cluster port: its process"
        + " is gone; downing it now" + reporter.since());
    Cluster.get(getContext().getSystem()).manager().tell(
        new org.apache.pekko.cluster.typed.Down(org.apache.pekko.actor.AddressFromURIString.parse(p.node())));
    return this;
  }

  @Override
  public void leaveCluster(String node) {
    try {
      Cluster.get(getContext().getSystem()).manager().tell(
          org.apache.pekko.cluster.typed.Leave.create(org.apache.pekko.actor.AddressFromURIString.parse(node)));
    } catch (RuntimeException e) {
      getContext().getLog().warn("job {}: cannot ask node {} to leave: {}", spec.getJobId(), node, e.getMessage());
    }
  }

  private Behavior<Command> onCheckpointNow() {
    if (phase != Phase.RUN || !driver.tell(new Coordinator.CheckpointNow(false))) {
      reporter.emit("checkpoint-skipped", "checkpoint on request not taken: job " + spec.getJobId()
          + " is not running (phase " + phase.name().toLowerCase(Locale.ROOT) + ")");
    }
    return this;
  }

  private Behavior<Command> onCancel(Cancel msg) {
    if (phase == Phase.RUN && driver.tell(new Coordinator.Cancel(msg.reason()))) {
      return this;
    }
    getContext().getLog().info("job {} cancelled in phase {}: {}", spec.getJobId(), phase, msg.reason());
    timers.cancelAll();
    return ended(new JobEvent.JobCancelled(reporter.nextStep(), msg.reason())); // its running record cleared too
  }

  private Behavior<Command> onEvent(FromCoordinator msg) {
    if (msg.attempt() != attempt) {
      return this; // an aborted attempt's late event
    }
    JobEvent event = msg.event();
    if (event instanceof JobEvent.StepCompleted s) {
      reporter.stepCompleted(s);
      return this;
    }
    if (event instanceof JobEvent.Progress p && p.kind().equals("rerouted") && reroutingFor != null) {
      reporter.forward(event);
      return recoverAfterReroute("node " + reroutingFor + " lost");
    }
    if (event instanceof JobEvent.Progress p && p.kind().equals("peer-lost")) {
      reporter.forward(event);
      members.chosen().keySet().forEach(this::confirmCrash); // a gone process is downed at once
      return this;
    }
    if (event instanceof JobEvent.Progress p) {
      reporter.forward(event);
      return changes.progress(p, schedule.devices(), spec.getDevices());
    }
    if (event instanceof JobEvent.JobFailed f && reroutingFor != null) {
      reporter.emit("step-failed", f.message());
      return recoverAfterReroute("node " + reroutingFor + " lost");
    }
    if (event instanceof JobEvent.JobFailed f && phase == Phase.RUN) {
      // a worker's send to a dead peer often fails before the failure detector has noticed:
      // wait for the detector before calling this a job failure
      phase = Phase.SUSPECT;
      reporter.detected();
      driver.coordinatorEnded();
      reporter.emit("step-failed", f.message()); // the reason, in the job's events whether it recovers or fails
      getContext().getLog().warn("job {}: step failed ({}); waiting {} s for the failure detector",
          spec.getJobId(), f.message(), settings.failureConfirmWindow().toSeconds());
      timers.startSingleTimer("confirm", new ConfirmWindowEnded(attempt, f.message()), settings.failureConfirmWindow());
      // a peer that died mid-step is usually why: a probe finds it without waiting for the detector
      members.chosen().keySet().forEach(this::confirmCrash);
      return this;
    }
    return ended(event);
  }

  private Behavior<Command> ended(JobEvent last) {
    record.ended(last);
    stopDriver();
    release();
    members.reachableChosen().values().forEach(a -> a.tell(new NodeAgent.DropSnapshots(spec.getJobId())));
    return Behaviors.stopped();
  }

  private Behavior<Command> onConfirmWindowEnded(ConfirmWindowEnded msg) {
    if (msg.attempt() != attempt || phase != Phase.SUSPECT) {
      return this;
    }
    if (members.anyLeaving()) { // the step failed on a node that is leaving (e.g. its GPU failed): go on without it
      return changes.withoutLeaving();
    }
    return fail(msg.message());
  }

  /** A node chosen for the job failed before it started: choose again among the healthy ones. */
  @Override
  public Behavior<Command> chooseAgain(String node) {
    getContext().getLog().info("job {}: node {} failed before the job started; choosing nodes again", spec.getJobId(), node);
    members.forgetChoice();
    useAllotment = false;
    recovery.cancel();
    phase = Phase.WAIT_NODES;
    timers.startSingleTimer("phase", new TimedOut("waiting for " + minNodes + " worker node(s)", attempt),
        settings.nodeWaitTimeout());
    return reconsiderNodes();
  }

  @Override
  public Behavior<Command> reconsiderNodes() {
    return onAgents(new AgentsChanged(Set.copyOf(members.listed().values())));
  }

  @Override
  public Phase phase() {
    return phase;
  }

  @Override
  public boolean checkpointing() {
    return CheckpointPolicy.of(spec) != null;
  }

  @Override
  public boolean stepsRunning() {
    return driver != null && driver.running();
  }

  @Override
  public void checkpointAndPause() {
    driver.tell(new Coordinator.CheckpointNow(true));
  }

  @Override
  public Behavior<Command> same() {
    return this;
  }

  /**
   * Data parallelism: when every lost worker of {@code node} belongs to replicas other than one
   * intact replica, that replica takes over their microbatches of the step in flight (the
   * coordinator decides and may refuse, failing the attempt); the job re-plans when it is done.
   */
  @Override
  public boolean reroute(String node) {
    java.util.List<Integer> lost = members.assignment().get(node);
    if (reroutingFor != null || lost == null || lost.isEmpty() || driver == null
        || JobSpecs.dataParallel(runSpec) < 2 || JobSpecs.twoBw(runSpec)
        || !driver.tell(new Coordinator.Reroute(Set.copyOf(lost), "node " + node + " is gone"))) {
      return false;
    }
    reroutingFor = node;
    return true;
  }

  /** The rerouted step is done (or failed): re-plan over the survivors from their live states. */
  private Behavior<Command> recoverAfterReroute(String why) {
    reroutingFor = null;
    abortAndRecover();
    return members.noSuspects() ? recovery.recover(why) : this;
  }

  /** Stops the coordinator (dropping the step in flight) and the workers of the current attempt. */
  @Override
  public void abortAndRecover() {
    reroutingFor = null;
    timers.cancel("confirm");
    timers.cancel("phase");
    stopDriver();
    if (io.tandem.actors.JobSpecs.dataParallel(runSpec) > 1 && phase != Phase.SPAWN
        && !JobSpecs.twoBw(runSpec)) { // 2bw's two weight versions are never restored
      releaseKeepingState();
    } else {
      release();
    }
    phase = Phase.RECOVERING;
  }

  /**
   * Data parallelism: the reachable nodes keep their released workers' live layer states (each
   * labelled with the steps it holds) before closing the devices, so a surviving replica's copy of
   * every stage restores the last completed step without going back to a snapshot or checkpoint
   * (issue 14); the restart's checkpoint lookup waits for their answers ({@link #pipe}).
   */
  private void releaseKeepingState() {
    String runId = runSpec.getJobId();
    keptRun = runId;
    statesKept.clear();
    members.reachableChosen().forEach((node, agent) -> {
      statesKept.put(node, new java.util.concurrent.CompletableFuture<Void>()
          .completeOnTimeout(null, STATE_KEPT_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS));
      agent.tell(new NodeAgent.ReleaseJob(runId, agentAdapter));
    });
  }

  private void stopDriver() {
    if (driver != null) {
      driver.stop();
    }
  }

  @Override
  public Behavior<Command> recover(String why) {
    return recovery.recover(why);
  }

  @Override
  public void pipe(int id, java.util.concurrent.CompletionStage<CheckpointLookup.Found> lookup) {
    // the live states the surviving nodes are keeping count as snapshots once they are reported
    java.util.concurrent.CompletableFuture<?>[] keeping = statesKept.entrySet().stream()
        .filter(e -> members.healthy(e.getKey()) && !members.isLost(e.getKey()) && !e.getValue().isDone())
        .map(Map.Entry::getValue).toArray(java.util.concurrent.CompletableFuture[]::new);
    java.util.concurrent.CompletionStage<CheckpointLookup.Found> after = keeping.length == 0 ? lookup
        : lookup.thenCombine(java.util.concurrent.CompletableFuture.allOf(keeping), (f, v) -> f);
    getContext().pipeToSelf(after, (f, err) -> new CheckpointFound(id, f, err));
  }

  /** The attempt's devices: the schedule's, once per data-parallel replica. */
  private int jobDevices(JobSpec attemptSpec) {
    return schedule.devices() * io.tandem.actors.JobSpecs.dataParallel(attemptSpec);
  }

  @Override
  public long snapshotStep(RecoveryPolicy.Replan replan, long diskStep) {
    memoryRestore = null;
    diskFallback = diskStep;
    // a node new to the job learns the snapshot key with its SpawnWorkers, before it asks the holders for layers
    memoryRestore = snapshots.newest(Set.copyOf(members.reachableChosen().keySet())).orElse(null);
    return memoryRestore == null ? -1 : memoryRestore.step();
  }

  /** What node {@code node} of the attempt keeps of the job's in-memory snapshots, and restores from. */
  private NodeAgent.Snapshots snapshotsOf(String node) {
    // without periodic snapshots the key still carries restores: disk shards, released workers' states
    java.util.List<String> nodes = new java.util.ArrayList<>(new java.util.TreeSet<>(members.assignment().keySet()));
    String peer = nodes.size() < 2 || JobSpecs.snapshotEvery(spec) == 0 ? "" : members.endpoints().getOrDefault(
        nodes.get((nodes.indexOf(node) + 1) % nodes.size()), "");
    Map<Integer, ActorRef<NodeAgent.Command>> sources = new TreeMap<>();
    if (restoringFromMemory) {
      memoryRestore.holderOfLayer().forEach((layer, holder) -> sources.put(layer, members.chosen().get(holder)));
    }
    return new NodeAgent.Snapshots(spec.getJobId(), snapshotKey, peer, sources);
  }

  /** Starts the next attempt: re-planned ({@code replan}), or on the chosen nodes with the job's schedule. */
  @Override
  public Behavior<Command> startAttempt(RecoveryPolicy.Replan replan, long restoreStep) {
    restoringFromMemory = memoryRestore != null && memoryRestore.step() == restoreStep && restoreStep >= 0
        && memoryRestore.holderOfLayer().values().stream().allMatch(members.chosen()::containsKey);
    if (!restoringFromMemory) {
      diskFallback = restoreStep;
    }
    memoryRestore = restoringFromMemory ? memoryRestore : null;
    lastReplan = replan;
    waitingForHolders = null;
    timers.cancel("holders");
    if (replan != null) {
      resumeNamed = false; // a checkpoint found after a node change, not the one the user named
    }
    try {
      if (replan == null) {
        members.assign(DevicePlacement.assign(spec.getBackend(), jobDevices(runSpec), members.chosen().keySet(),
            members.registrations()));
      } else {
        replan.joiners().forEach(members::takeIn);
        attempt++;
        record.attempt(attempt);
        schedule = replan.plan().schedule();
        runSpec = replan.plan().spec().toBuilder().setJobId(spec.getJobId() + "-r" + attempt).build();
        members.assign(DevicePlacement.assign(spec.getBackend(), jobDevices(runSpec), replan.nodes(),
            members.registrations()));
      }
    } catch (IllegalArgumentException e) { // e.g. the nodes lack the cuda devices the job needs
      return fail((replan == null ? "" : "re-planning job " + spec.getJobId() + ": ") + e.getMessage());
    }
    phase = Phase.SPAWN;
    reportNodes();
    driver = new AttemptDriver<>(getContext(), attempt, runSpec, schedule, restoreStep);
    getContext().getLog().info("job {}: devices {} on data planes {}", runSpec.getJobId(), members.assignment(),
        members.endpoints());
    timers.startSingleTimer("phase", new TimedOut("while the nodes opened their devices", attempt),
        settings.spawnTimeout());
    if (restoreStep >= 0 && !restoringFromMemory) { // the nodes learn the manifest and who holds each file
      int a = attempt;
      getContext().pipeToSelf(checkpointLookup.manifest(spec.getCheckpointDir(), restoreStep),
          (m, err) -> new ManifestRead(a, m, err));
      return this;
    }
    spawnWorkers(NodeAgent.DiskShards.NONE);
    return this;
  }

  private void spawnWorkers(NodeAgent.DiskShards shards) {
    driver.spawnWorkers(members.assignment(), members.endpoints(), members.chosen(), agentAdapter,
        this::snapshotsOf, shards);
  }

  /**
   * The disk checkpoint's manifest is read: the nodes restore from it, reading the layer files
   * on their own disks and fetching the others from the nodes that wrote them (those in the cluster).
   */
  private Behavior<Command> onManifestRead(ManifestRead m) {
    if (m.attempt() != attempt || phase != Phase.SPAWN) {
      return this;
    }
    if (m.error() != null) {
      Throwable c = m.error().getCause() != null ? m.error().getCause() : m.error();
      return cannotRestore(driver.restoreStep(), "the coordinator: "
          + (c.getMessage() == null ? c.toString() : c.getMessage()));
    }
    io.tandem.proto.CheckpointManifest manifest = m.read().manifest();
    Map<Integer, ActorRef<NodeAgent.Command>> holders = new TreeMap<>();
    Map<String, java.util.SortedSet<Integer>> absent = new TreeMap<>(); // files on disks of nodes not here
    for (io.tandem.proto.CheckpointFile f : manifest.getFilesList()) {
      java.util.Optional<ActorRef<NodeAgent.Command>> holder = holderOf(f.getNode());
      holder.ifPresent(h -> holders.put(f.getLayer(), h));
      if (holder.isEmpty() && !f.getNode().isEmpty() && !m.read().visibleHere().contains(f.getLayer())) {
        absent.computeIfAbsent(f.getNode(), n -> new java.util.TreeSet<>()).add(f.getLayer());
      }
    }
    if (!absent.isEmpty()) {
      return awaitHolders(m, absent);
    }
    if (waitingForHolders != null) {
      waitingForHolders = null;
      timers.cancel("holders");
      reporter.emit("holders-joined", "the nodes holding checkpoint step-" + manifest.getStep()
          + "'s files are in the cluster; restoring it" + reporter.since());
      timers.startSingleTimer("phase", new TimedOut("while the nodes opened their devices", attempt),
          settings.spawnTimeout());
    }
    getContext().getLog().info("job {}: restoring checkpoint step-{} from the nodes' disks; layer files on {}",
        runSpec.getJobId(), manifest.getStep(), holders.isEmpty() ? "no node in the cluster (a shared path?)"
            : new java.util.TreeSet<>(holders.values().stream().map(this::nodeOf).toList()));
    spawnWorkers(new NodeAgent.DiskShards(manifest, holders));
    return this;
  }

  /**
   * Some of the checkpoint's layer files are on the disks of nodes not in the cluster (a shared
   * path would show them here): waits for those nodes to join (same address, same disk), at most
   * {@code tandem.cluster.node-wait-timeout}; nodes already waited for in vain are not waited for
   * again, and the checkpoint before it is tried at once.
   */
  private Behavior<Command> awaitHolders(ManifestRead m, Map<String, java.util.SortedSet<Integer>> absent) {
    long step = m.read().manifest().getStep();
    String where = absent.entrySet().stream().map(e -> "layers " + e.getValue() + " on node " + e.getKey())
        .collect(java.util.stream.Collectors.joining(", "));
    if (holdersGivenUp.containsAll(absent.keySet())) {
      return cannotRestore(step, "its files of " + where + ", which did not join");
    }
    if (waitingForHolders == null) {
      timers.cancel("phase");
      reporter.emit("waiting-for-files", "checkpoint step-" + step + " keeps " + where + ", not in the cluster;"
          + " waiting up to " + settings.nodeWaitTimeout().toSeconds() + " s for it to join with its disk ("
          + "tandem.cluster.node-wait-timeout)" + (resumeNamed ? "" : ", then the checkpoint before it is used"));
      timers.startSingleTimer("holders", new ShardHoldersWaitEnded(attempt), settings.nodeWaitTimeout());
    }
    waitingForHolders = m;
    return this;
  }

  private Behavior<Command> onShardHoldersWaitEnded(ShardHoldersWaitEnded w) {
    ManifestRead m = waitingForHolders;
    if (w.attempt() != attempt || m == null || phase != Phase.SPAWN) {
      return this;
    }
    for (io.tandem.proto.CheckpointFile f : m.read().manifest().getFilesList()) {
      if (!f.getNode().isEmpty() && holderOf(f.getNode()).isEmpty()) {
        holdersGivenUp.add(f.getNode());
      }
    }
    waitingForHolders = null;
    return onManifestRead(m); // gives up on the nodes still missing, or restores if they came meanwhile
  }

  /** Cluster membership changed: a node a disk restore waits for may have joined. */
  private Behavior<Command> onMemberChanged(MemberChanged m) {
    Behavior<Command> next = changes.member(m.event());
    if (waitingForHolders != null && phase == Phase.SPAWN && m.event() instanceof ClusterEvent.MemberUp) {
      return onManifestRead(waitingForHolders);
    }
    return next;
  }

  /**
   * The node agent of cluster member {@code node} (an address), which may hold checkpoint files on
   * its disk: as the receptionist lists it, or, for a healthy member not listed yet, by its
   * well-known path. Empty when {@code node} is no healthy member.
   */
  private java.util.Optional<ActorRef<NodeAgent.Command>> holderOf(String node) {
    if (node.isEmpty()) {
      return java.util.Optional.empty();
    }
    for (ActorRef<NodeAgent.Command> a : agents) {
      if (nodeOf(a).equals(node)) {
        return java.util.Optional.of(a);
      }
    }
    return members.healthy(node) ? java.util.Optional.of(ActorRefResolver.get(getContext().getSystem())
        .resolveActorRef(node + "/system/" + ClusterNode.NODE_AGENT)) : java.util.Optional.empty();
  }

  /** The attempt's disk checkpoint of {@code step} cannot be restored: fails a named one, else tries the one before. */
  private Behavior<Command> cannotRestore(long step, String why) {
    return resumeNamed ? fail("cannot restore checkpoint step-" + step + ": " + why) : restoreOlder(why);
  }

  /**
   * Restoring the attempt's disk checkpoint failed (a layer file missing or corrupt on the node
   * that holds it, or that node gone): the job restores the newest valid checkpoint before it
   * instead (or starts from step 0), on the same plan.
   */
  private Behavior<Command> restoreOlder(String why) {
    long step = driver.restoreStep();
    waitingForHolders = null;
    timers.cancel("holders");
    reporter.emit("checkpoint-unusable", "restoring checkpoint step-" + step + " failed (" + why
        + "); restoring the newest checkpoint before it instead");
    timers.cancel("phase");
    stopDriver();
    release();
    phase = Phase.RECOVERING;
    if (lastReplan == null) { // the next attempt runs on the same nodes: new worker names
      attempt++;
      record.attempt(attempt);
      runSpec = runSpec.toBuilder().setJobId(spec.getJobId() + "-r" + attempt).build();
    }
    recovery.restoreOlder(step, lastReplan, "checkpoint step-" + step + " could not be restored");
    return this;
  }

  @Override
  public Behavior<Command> fail(String message) {
    getContext().getLog().error("job {} failed: {}", spec.getJobId(), message);
    return ended(new JobEvent.JobFailed(message));
  }

  /** Asks every node of the job still reachable to stop the current attempt's workers. */
  private void release() {
    String runId = runSpec.getJobId();
    members.reachableChosen().values().forEach(a -> a.tell(new NodeAgent.ReleaseJob(runId)));
  }
}
