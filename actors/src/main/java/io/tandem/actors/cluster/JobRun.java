package io.tandem.actors.cluster;

import io.tandem.actors.CheckpointPolicy;
import io.tandem.actors.Coordinator;
import io.tandem.actors.JobConfig;
import io.tandem.actors.JobEvent;
import io.tandem.actors.JobFactory;
import io.tandem.actors.RecoveryPlanner;
import io.tandem.actors.StageWorker;
import io.tandem.actors.checkpoint.Checkpoint;
import io.tandem.actors.checkpoint.CheckpointStore;
import io.tandem.proto.JobSpec;
import io.tandem.proto.Registration;
import io.tandem.proto.RunningJob;
import io.tandem.schedule.Schedule;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.cluster.typed.Unsubscribe;

/**
 * One job on the cluster, from submission to its end: waits for enough node agents, asks them
 * for their data plane endpoints, assigns schedule devices to nodes (round robin over the
 * nodes sorted by address), has each agent spawn its stage workers, then drives the steps with
 * a {@link Coordinator} over those (remote) workers and forwards its events to the submitter.
 *
 * <p>Node failures (DESIGN.md "Failure"): when a node of the job becomes unreachable the step
 * in flight is aborted; once the Split Brain Resolver has downed it, the job is re-planned over
 * the surviving devices ({@link RecoveryPlanner}), the new stage workers load their layers from
 * the newest valid checkpoint (or start from step 0 when there is none), and training goes on
 * from that step. A coordinator-reported failure with no unreachable node within the confirm
 * window fails the job. Every stage of a recovery is reported as a {@link JobEvent.Progress}.
 */
final class JobRun extends AbstractBehavior<JobRun.Command> {

  sealed interface Command {}

  private record AgentsChanged(Set<ActorRef<NodeAgent.Command>> agents) implements Command {}

  private record FromAgent(NodeAgent.Reply reply) implements Command {}

  private record FromCoordinator(int attempt, JobEvent event) implements Command {}

  private record TimedOut(String phase, int attempt) implements Command {}

  private record MemberChanged(ClusterEvent.MemberEvent event) implements Command {}

  private record ReachabilityChanged(ClusterEvent.ReachabilityEvent event) implements Command {}

  private record ConfirmWindowEnded(int attempt, String message) implements Command {}

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

  private enum Phase { WAIT_NODES, DESCRIBE, SPAWN, RUN, SUSPECT, RECOVERING }

  private final JobSpec spec;
  private final int minNodes;
  private final ActorRef<JobEvent> replyTo;
  private final ClusterSettings settings;
  private final TimerScheduler<Command> timers;
  private final ActorRef<NodeAgent.Reply> agentAdapter;
  private final ActorRef<ClusterEvent.MemberEvent> memberAdapter;
  private final ActorRef<ClusterEvent.ReachabilityEvent> reachabilityAdapter;
  private final Address selfAddress;

  private Phase phase = Phase.WAIT_NODES;
  private int attempt;
  private JobSpec runSpec;
  private Schedule schedule;
  /** Node address to its agent, for the nodes the job was started on. */
  private final Map<String, ActorRef<NodeAgent.Command>> agents = new TreeMap<>();
  private final Map<String, Registration> registrations = new TreeMap<>();
  /** Devices of the current attempt by node address. */
  private final Map<String, List<Integer>> assignment = new TreeMap<>();
  private final Map<Integer, ActorRef<StageWorker.Command>> workers = new TreeMap<>();
  private final Set<String> lost = new LinkedHashSet<>();
  private final Set<String> suspects = new LinkedHashSet<>();
  /** Nodes that joined after the job started, by address: taken in at the next checkpoint or re-plan. */
  private final Map<String, ActorRef<NodeAgent.Command>> joiners = new TreeMap<>();
  private Set<ActorRef<NodeAgent.Command>> latestAgents = Set.of();
  private final Set<String> upNodes = new java.util.HashSet<>();
  private final Set<String> unreachableNodes = new java.util.HashSet<>();
  /** Nodes leaving gracefully: the job checkpoints, then re-plans without them. */
  private final Set<String> leaving = new LinkedHashSet<>();
  private ActorRef<Coordinator.Command> coordinator;
  private final java.security.SecureRandom random = new java.security.SecureRandom();
  /** Nodes drained through the admin API: asked to leave the cluster once the job is off them. */
  private final Set<String> drained = new LinkedHashSet<>();
  private ActorRef<JobEvent> forwarder;
  private long restoreStep = -1;
  private long lastStep = -1;
  private long detectedNanos;
  private boolean awaitingFirstStep;

  private final JobStore store;
  private final int firstAttempt;
  private ActorRef<JobMaster.Command> master;
  private RecoveryPlanner recoveryPlanner;

  private JobRun(ActorContext<Command> ctx, TimerScheduler<Command> timers, JobSpec spec, int minNodes,
      ActorRef<JobEvent> replyTo, ClusterSettings settings, int firstAttempt, JobStore store) {
    super(ctx);
    this.spec = spec;
    this.store = store;
    this.firstAttempt = firstAttempt;
    this.attempt = firstAttempt;
    this.runSpec = firstAttempt == 0 ? spec : spec.toBuilder().setJobId(spec.getJobId() + "-r" + firstAttempt).build();
    this.minNodes = Math.max(1, minNodes);
    this.replyTo = replyTo;
    this.settings = settings;
    this.timers = timers;
    this.selfAddress = Cluster.get(ctx.getSystem()).selfMember().address();
    this.agentAdapter = ctx.messageAdapter(NodeAgent.Reply.class, FromAgent::new);
    ActorRef<Receptionist.Listing> listing = ctx.messageAdapter(Receptionist.Listing.class,
        l -> new AgentsChanged(l.getServiceInstances(NodeAgent.SERVICE_KEY)));
    ctx.getSystem().receptionist().tell(Receptionist.subscribe(NodeAgent.SERVICE_KEY, listing));
    this.memberAdapter = ctx.messageAdapter(ClusterEvent.MemberEvent.class, MemberChanged::new);
    this.reachabilityAdapter = ctx.messageAdapter(ClusterEvent.ReachabilityEvent.class, ReachabilityChanged::new);
    Cluster cluster = Cluster.get(ctx.getSystem());
    cluster.subscriptions().tell(Subscribe.create(memberAdapter, ClusterEvent.MemberEvent.class));
    cluster.subscriptions().tell(Subscribe.create(reachabilityAdapter, ClusterEvent.ReachabilityEvent.class));
    timers.startSingleTimer("phase", new TimedOut("waiting for " + this.minNodes + " worker node(s)", 0),
        settings.nodeWaitTimeout());
  }

  /**
   * @param firstAttempt 0 for a new job; otherwise the job resumes (its job master moved) as
   *     this attempt, from its last checkpoint
   * @param store where the running job is recorded (null = nowhere)
   */
  static Behavior<Command> create(JobSpec spec, int minNodes, ActorRef<JobEvent> replyTo, ClusterSettings settings,
      int firstAttempt, JobStore store, ActorRef<JobMaster.Command> master) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      JobRun run = new JobRun(ctx, timers, spec, minNodes, replyTo, settings, firstAttempt, store);
      run.master = master;
      try {
        run.schedule = JobFactory.schedule(spec);
        JobFactory.provider(spec, run.schedule); // checks backend and model names up front
        CheckpointPolicy.of(spec);
        run.recoveryPlanner = new RecoveryPlanner(spec);
      } catch (RuntimeException e) {
        master.tell(new JobMaster.RunEnded(spec.getJobId()));
        replyTo.tell(new JobEvent.JobFailed(e.getMessage()));
        return Behaviors.stopped();
      }
      run.record();
      if (firstAttempt > 0) {
        run.emit("coordinator-moved", "the job master moved to " + run.selfAddress + "; resuming job "
            + spec.getJobId() + " from its last checkpoint");
      }
      return run;
    }));
  }

  /** Records the job and its current attempt in the job store. */
  private void record() {
    if (store == null) {
      return;
    }
    try {
      store.record(RunningJob.newBuilder().setSpec(spec).setMinNodes(minNodes).setAttempt(attempt)
          .setReplyTo(org.apache.pekko.actor.typed.ActorRefResolver.get(getContext().getSystem())
              .toSerializationFormat(replyTo)).build());
    } catch (RuntimeException e) {
      getContext().getLog().warn("job {}: {}", spec.getJobId(), e.getMessage());
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(AgentsChanged.class, this::onAgents)
        .onMessage(FromAgent.class, this::onAgent)
        .onMessage(FromCoordinator.class, this::onEvent)
        .onMessage(MemberChanged.class, this::onMember)
        .onMessage(ReachabilityChanged.class, this::onReachability)
        .onMessage(ConfirmWindowEnded.class, this::onConfirmWindowEnded)
        .onMessage(Cancel.class, this::onCancel)
        .onMessage(Drain.class, this::onDrain)
        .onMessageEquals(CheckpointNow.INSTANCE, this::onCheckpointNow)
        .onMessage(TimedOut.class, t -> t.attempt() == attempt
            ? fail("job " + spec.getJobId() + " timed out " + t.phase() + " (" + membership() + ")") : this)
        .onSignal(PostStop.class, s -> {
          Cluster cluster = Cluster.get(getContext().getSystem());
          cluster.subscriptions().tell(new Unsubscribe<>(memberAdapter));
          cluster.subscriptions().tell(new Unsubscribe<>(reachabilityAdapter));
          return this;
        })
        .build();
  }

  private String nodeOf(ActorRef<?> ref) {
    Address a = ref.path().address();
    return (a.hasLocalScope() ? selfAddress : a).toString();
  }

  /**
   * Whether {@code node} is an Up (or WeaklyUp) member that the failure detector finds reachable,
   * as this run's own membership subscription has seen it (the cluster's read view may lag).
   */
  private boolean healthy(String node) {
    return upNodes.contains(node) && !unreachableNodes.contains(node);
  }

  /** The node agents known and the members' status, for a timeout's message. */
  private String membership() {
    org.apache.pekko.cluster.ClusterEvent.CurrentClusterState state = Cluster.get(getContext().getSystem()).state();
    StringBuilder b = new StringBuilder("node agents:");
    latestAgents.forEach(a -> b.append(' ').append(nodeOf(a)).append(healthy(nodeOf(a)) ? "" : " (not usable)"));
    b.append("; members:");
    state.getMembers().forEach(m -> b.append(' ').append(m.address()).append('=').append(m.status()));
    state.getUnreachable().forEach(m -> b.append("; unreachable ").append(m.address()));
    return b.toString();
  }

  private Behavior<Command> onAgents(AgentsChanged msg) {
    latestAgents = msg.agents();
    Map<String, ActorRef<NodeAgent.Command>> sorted = new TreeMap<>();
    msg.agents().forEach(a -> {
      if (healthy(nodeOf(a))) {
        sorted.put(nodeOf(a), a);
      }
    });
    getContext().getLog().debug("job {}: {} node agent(s), healthy: {}", spec.getJobId(), msg.agents().size(),
        sorted.keySet());
    if (phase == Phase.WAIT_NODES && sorted.size() >= minNodes) {
      sorted.entrySet().stream().limit(spec.getDevices()).forEach(e -> agents.put(e.getKey(), e.getValue()));
      phase = Phase.DESCRIBE;
      timers.startSingleTimer("phase", new TimedOut("asking " + agents.size() + " node(s) for their devices", attempt),
          settings.spawnTimeout());
      agents.values().forEach(a -> a.tell(new NodeAgent.Describe(agentAdapter)));
    } else if (phase != Phase.WAIT_NODES && phase != Phase.DESCRIBE) {
      for (ActorRef<NodeAgent.Command> a : msg.agents()) {
        String node = nodeOf(a);
        boolean known = agents.containsKey(node) && !lost.contains(node);
        if (!known && !joiners.containsKey(node)) {
          joiners.put(node, a);
          registrations.remove(node);
          a.tell(new NodeAgent.Describe(agentAdapter));
        }
      }
    }
    return this; // nodes that leave are seen through cluster membership events
  }

  /** Joined nodes that have described themselves, by address. */
  private List<String> readyJoiners() {
    return joiners.keySet().stream().filter(registrations::containsKey).toList();
  }

  /** At a checkpoint boundary: re-plan to take in the nodes that joined, restoring that checkpoint. */
  private Behavior<Command> takeInJoiners(String checkpoint) {
    List<String> ready = readyJoiners();
    detectedNanos = System.nanoTime();
    emit("joined", "node(s) " + String.join(", ", ready) + " joined; taking them in at " + checkpoint);
    abortAttempt();
    phase = Phase.RECOVERING;
    return recover("node(s) " + String.join(", ", ready) + " joined");
  }

  private Behavior<Command> onAgent(FromAgent msg) {
    NodeAgent.Reply r = msg.reply();
    if (r instanceof NodeAgent.Described d && joiners.containsKey(d.registration().getNode())) {
      registrations.put(d.registration().getNode(), d.registration());
      emit("node-joined", "node " + d.registration().getNode() + " joined with " + d.registration().getDevicesCount()
          + " device(s); it is taken in at the next checkpoint or re-plan");
    } else if (r instanceof NodeAgent.Described d && phase == Phase.DESCRIBE) {
      registrations.put(d.registration().getNode(), d.registration());
      if (registrations.size() == agents.size()) {
        if (firstAttempt > 0) {
          resumeFromCheckpoint();
        }
        List<String> nodes = new ArrayList<>(agents.keySet());
        for (int d2 = 0; d2 < schedule.devices(); d2++) {
          assignment.computeIfAbsent(nodes.get(d2 % nodes.size()), n -> new ArrayList<>()).add(d2);
        }
        spawnWorkers();
      }
    } else if (r instanceof NodeAgent.WorkersSpawned w && phase == Phase.SPAWN
        && w.jobId().equals(runSpec.getJobId())) {
      workers.putAll(w.workers());
      if (workers.size() == schedule.devices()) {
        startCoordinator();
      }
    } else if (r instanceof NodeAgent.NodeLeaving l) {
      return onNodeLeaving(l);
    } else if (r instanceof NodeAgent.SpawnFailed f && phase == Phase.SPAWN && f.jobId().equals(runSpec.getJobId())) {
      return fail("node " + f.node() + " could not start its workers: " + f.message());
    }
    return this;
  }

  private void spawnWorkers() {
    phase = Phase.SPAWN;
    workers.clear();
    Map<String, String> endpoints = new HashMap<>();
    for (String node : assignment.keySet()) {
      Registration reg = registrations.get(node);
      endpoints.put(node, reg.getDataPlaneHost() + ":" + reg.getDataPlanePort());
    }
    getContext().getLog().info("job {}: devices {} on data planes {}", runSpec.getJobId(), assignment, endpoints);
    timers.startSingleTimer("phase", new TimedOut("while the nodes opened their devices", attempt),
        settings.spawnTimeout());
    byte[] key = new byte[32];
    random.nextBytes(key); // this attempt's data plane key, known only to its nodes
    assignment.forEach((node, devices) -> agents.get(node).tell(
        new NodeAgent.SpawnWorkers(runSpec, devices, endpoints, restoreStep, key, agentAdapter)));
  }

  private void startCoordinator() {
    phase = Phase.RUN;
    timers.cancelAll(); // the coordinator times every step itself
    if (attempt > 0) {
      emit("restored", restoreStep < 0
          ? "workers ready on " + schedule.devices() + " device(s); restarting from step 0" + since()
          : "restored step " + restoreStep + " from " + Path.of(spec.getCheckpointDir()).resolve("step-" + restoreStep)
              + " on " + schedule.devices() + " device(s)" + since());
      awaitingFirstStep = true;
    }
    Duration stepTimeout = spec.getStepTimeoutS() > 0
        ? Duration.ofMillis((long) (spec.getStepTimeoutS() * 1000)) : settings.stepTimeout();
    JobConfig job = new JobConfig(runSpec.getJobId(), schedule, spec.getSteps(), spec.getClipNorm(), stepTimeout,
        Math.max(0, restoreStep), CheckpointPolicy.of(spec));
    int a = attempt;
    ActorRef<Command> self = getContext().getSelf();
    forwarder = getContext().spawn(Behaviors.receive(JobEvent.class).onAnyMessage(e -> {
      self.tell(new FromCoordinator(a, e));
      return Behaviors.same();
    }).build(), "events-" + attempt);
    List<String> nodes = new ArrayList<>();
    workers.values().forEach(w -> nodes.add((w.path().address().hasLocalScope() ? selfAddress : w.path().address())
        .toString()));
    replyTo.tell(new JobEvent.JobStarted(schedule.name(), nodes, attempt, Math.max(0, restoreStep)));
    coordinator = getContext().spawn(Coordinator.forWorkers(job, new ArrayList<>(workers.values()), forwarder),
        "coordinator-" + attempt);
  }

  private Behavior<Command> onDrain(Drain msg) {
    String node = msg.node();
    if (!inJob(node)) {
      emit("drained", "node " + node + " runs no device of job " + spec.getJobId() + "; it leaves the cluster");
      leave(node);
      return this;
    }
    if (!leaving.add(node)) {
      return this;
    }
    drained.add(node);
    detectedNanos = System.nanoTime();
    if (phase == Phase.RUN && coordinator != null && CheckpointPolicy.of(spec) != null) {
      emit("draining", "draining node " + node + ": checkpoint at the end of step " + (lastStep + 1)
          + ", then re-plan without it");
      coordinator.tell(new Coordinator.CheckpointNow(true));
      return this;
    }
    emit("draining", "draining node " + node + (CheckpointPolicy.of(spec) == null ? " (the job has no checkpoints)" : "")
        + "; re-planning without it");
    return withoutLeaving();
  }

  private void leave(String node) {
    try {
      Cluster.get(getContext().getSystem()).manager().tell(
          org.apache.pekko.cluster.typed.Leave.create(org.apache.pekko.actor.AddressFromURIString.parse(node)));
    } catch (RuntimeException e) {
      getContext().getLog().warn("job {}: cannot ask node {} to leave: {}", spec.getJobId(), node, e.getMessage());
    }
  }

  private Behavior<Command> onCheckpointNow() {
    if (coordinator != null && phase == Phase.RUN) {
      coordinator.tell(new Coordinator.CheckpointNow(false));
    } else {
      emit("checkpoint-skipped", "checkpoint on request not taken: job " + spec.getJobId() + " is not running (phase "
          + phase.name().toLowerCase(Locale.ROOT) + ")");
    }
    return this;
  }

  private Behavior<Command> onCancel(Cancel msg) {
    if (coordinator != null && phase == Phase.RUN) {
      coordinator.tell(new Coordinator.Cancel(msg.reason()));
      return this;
    }
    getContext().getLog().info("job {} cancelled in phase {}: {}", spec.getJobId(), phase, msg.reason());
    timers.cancelAll();
    if (coordinator != null) {
      getContext().stop(coordinator);
    }
    replyTo.tell(new JobEvent.JobCancelled(lastStep + 1, msg.reason()));
    release();
    return Behaviors.stopped();
  }

  private Behavior<Command> onEvent(FromCoordinator msg) {
    if (msg.attempt() != attempt) {
      return this; // an aborted attempt's late event
    }
    JobEvent event = msg.event();
    if (event instanceof JobEvent.StepCompleted s) {
      lastStep = s.step();
      replyTo.tell(event);
      if (awaitingFirstStep) {
        awaitingFirstStep = false;
        emit("resumed", "step " + (s.step() + 1) + " done, the first after " + (restoreStep < 0 ? "restarting from step 0" : "restoring step " + restoreStep) + since());
      }
      return this;
    }
    if (event instanceof JobEvent.Progress p) {
      replyTo.tell(event);
      if (!leaving.isEmpty() && phase == Phase.RUN
          && (p.kind().equals("checkpoint") || p.kind().equals("checkpoint-skipped"))) {
        return withoutLeaving();
      }
      if (p.kind().equals("checkpoint") && phase == Phase.RUN && !readyJoiners().isEmpty()
          && schedule.devices() < spec.getDevices()) {
        return takeInJoiners(p.message().split(" ")[1]);
      }
      return this;
    }
    if (event instanceof JobEvent.JobFailed f && phase == Phase.RUN) {
      // a worker's send to a dead peer often fails before the failure detector has noticed:
      // wait for the detector before calling this a job failure
      phase = Phase.SUSPECT;
      coordinator = null;
      getContext().getLog().warn("job {}: step failed ({}); waiting {} s for the failure detector",
          spec.getJobId(), f.message(), settings.failureConfirmWindow().toSeconds());
      timers.startSingleTimer("confirm", new ConfirmWindowEnded(attempt, f.message()), settings.failureConfirmWindow());
      return this;
    }
    ended();
    replyTo.tell(event);
    release();
    return Behaviors.stopped();
  }

  /** Before the submitter hears of the end: the job master is free again and nothing is left to resume. */
  private void ended() {
    if (store != null) {
      store.clear(spec.getJobId());
    }
    if (master != null) {
      master.tell(new JobMaster.RunEnded(spec.getJobId()));
    }
  }

  private Behavior<Command> onConfirmWindowEnded(ConfirmWindowEnded msg) {
    if (msg.attempt() != attempt || phase != Phase.SUSPECT) {
      return this;
    }
    return fail(msg.message());
  }

  private boolean inJob(String node) {
    return (phase == Phase.DESCRIBE ? agents.containsKey(node) : assignment.containsKey(node)) && !lost.contains(node);
  }

  /** A node chosen for the job failed before it started: choose again among the healthy ones. */
  private Behavior<Command> chooseAgain(String node) {
    getContext().getLog().info("job {}: node {} failed before the job started; choosing nodes again", spec.getJobId(), node);
    agents.clear();
    registrations.clear();
    suspects.clear();
    lost.clear();
    phase = Phase.WAIT_NODES;
    timers.startSingleTimer("phase", new TimedOut("waiting for " + minNodes + " worker node(s)", attempt),
        settings.nodeWaitTimeout());
    return onAgents(new AgentsChanged(latestAgents));
  }

  private Behavior<Command> onReachability(ReachabilityChanged msg) {
    ClusterEvent.ReachabilityEvent e = msg.event();
    String node = e.member().address().toString();
    if (e instanceof ClusterEvent.UnreachableMember) {
      unreachableNodes.add(node);
    } else {
      unreachableNodes.remove(node);
    }
    if (phase == Phase.WAIT_NODES) {
      return onAgents(new AgentsChanged(latestAgents));
    }
    if (!inJob(node)) {
      return this;
    }
    if (e instanceof ClusterEvent.UnreachableMember) {
      if (phase == Phase.DESCRIBE) {
        return chooseAgain(node);
      }
      if (!suspects.add(node)) {
        return this;
      }
      if (phase == Phase.RUN || phase == Phase.SPAWN || phase == Phase.SUSPECT) {
        detectedNanos = System.nanoTime();
        emit("failure-detected", "node " + node + " unreachable (failure detector) during step " + (lastStep + 1)
            + "; step aborted, waiting for the split brain resolver to down it");
        abortAttempt();
        phase = Phase.RECOVERING;
      }
    } else if (e instanceof ClusterEvent.ReachableMember && suspects.remove(node)) {
      emit("reachable", "node " + node + " reachable again" + since());
      if (phase == Phase.RECOVERING && suspects.isEmpty()) {
        return recover("node " + node + " was unreachable for a while");
      }
    }
    return this;
  }

  private Behavior<Command> onMember(MemberChanged msg) {
    ClusterEvent.MemberEvent e = msg.event();
    String address = e.member().address().toString();
    if (e instanceof ClusterEvent.MemberUp || e instanceof ClusterEvent.MemberWeaklyUp) {
      upNodes.add(address);
    } else if (!(e instanceof ClusterEvent.MemberJoined)) {
      upNodes.remove(address);
    }
    if (phase == Phase.WAIT_NODES) {
      return onAgents(new AgentsChanged(latestAgents));
    }
    if (!(e instanceof ClusterEvent.MemberDowned || e instanceof ClusterEvent.MemberRemoved
        || e instanceof ClusterEvent.MemberExited || e instanceof ClusterEvent.MemberLeft)) {
      return this;
    }
    String node = e.member().address().toString();
    if (joiners.remove(node) != null) {
      registrations.remove(node);
    }
    if (!inJob(node)) {
      return this;
    }
    lost.add(node);
    boolean wasSuspect = suspects.remove(node);
    if (phase == Phase.WAIT_NODES || phase == Phase.DESCRIBE) {
      return chooseAgain(node);
    }
    String how = e instanceof ClusterEvent.MemberDowned || e instanceof ClusterEvent.MemberRemoved
        ? "downed by the split brain resolver" : "left the cluster";
    if (!wasSuspect) {
      detectedNanos = System.nanoTime();
    }
    emit("downed", "node " + node + " " + how + (wasSuspect ? since() : ""));
    if (phase != Phase.RECOVERING) {
      abortAttempt();
      phase = Phase.RECOVERING;
    }
    return suspects.isEmpty() ? recover("node " + node + " lost") : this;
  }

  private Behavior<Command> onNodeLeaving(NodeAgent.NodeLeaving l) {
    if (!l.jobId().equals(runSpec.getJobId())) {
      // an earlier attempt's workers: nothing of this attempt runs there
      agents.values().stream().filter(a -> nodeOf(a).equals(l.node())).forEach(a -> a.tell(new NodeAgent.ReleaseJob(l.jobId())));
      return this;
    }
    if (!inJob(l.node()) || !leaving.add(l.node())) {
      return this;
    }
    detectedNanos = System.nanoTime();
    if (phase == Phase.RUN && coordinator != null && CheckpointPolicy.of(spec) != null) {
      emit("leaving", "node " + l.node() + " is leaving gracefully: checkpointing at the end of step " + (lastStep + 1)
          + ", then re-planning without it");
      coordinator.tell(new Coordinator.CheckpointNow(true));
      return this;
    }
    emit("leaving", "node " + l.node() + " is leaving gracefully"
        + (CheckpointPolicy.of(spec) == null ? " (the job has no checkpoints)" : "") + "; re-planning without it");
    return withoutLeaving();
  }

  /** Moves the job off the leaving nodes (after their checkpoint, when there is one). */
  private Behavior<Command> withoutLeaving() {
    List<String> gone = List.copyOf(leaving);
    abortAttempt(); // releases the leaving nodes too, so they can go
    lost.addAll(gone);
    leaving.clear();
    gone.stream().filter(drained::remove).forEach(this::leave);
    phase = Phase.RECOVERING;
    return recover("node(s) " + String.join(", ", gone) + " left gracefully");
  }

  /** Stops the coordinator (dropping the step in flight) and the workers of the current attempt. */
  private void abortAttempt() {
    timers.cancel("confirm");
    timers.cancel("phase");
    if (coordinator != null) {
      getContext().stop(coordinator);
      coordinator = null;
    }
    if (forwarder != null) {
      getContext().stop(forwarder);
      forwarder = null;
    }
    release();
    workers.clear();
  }

  /** A resumed job: drop the previous job master's workers and restore the newest valid checkpoint. */
  private void resumeFromCheckpoint() {
    for (int a = 0; a < firstAttempt; a++) {
      String id = a == 0 ? spec.getJobId() : spec.getJobId() + "-r" + a;
      agents.values().forEach(agent -> agent.tell(new NodeAgent.ReleaseJob(id)));
    }
    detectedNanos = System.nanoTime();
    restoreStep = -1;
    if (!spec.getCheckpointDir().isBlank()) { // periodic or on-request checkpoints
      Optional<Checkpoint> c = new CheckpointStore(Path.of(spec.getCheckpointDir()), 1)
          .latestValid(m -> emit("checkpoint-skipped", m));
      c.ifPresent(cp -> restoreStep = cp.step());
    }
    if (restoreStep < 0) {
      emit("restart", "no checkpoint to resume job " + spec.getJobId() + " from: restarting from step 0");
    }
  }

  /** Re-plans over the surviving nodes and spawns the next attempt's workers from the last checkpoint. */
  private Behavior<Command> recover(String why) {
    long t0 = System.nanoTime();
    List<String> survivors = new ArrayList<>();
    int devices = 0;
    for (Map.Entry<String, List<Integer>> e : assignment.entrySet()) {
      if (!lost.contains(e.getKey()) && !survivors.contains(e.getKey())) {
        survivors.add(e.getKey());
        devices += e.getValue().size();
      }
    }
    for (String node : readyJoiners()) {
      if (devices >= spec.getDevices()) {
        break;
      }
      survivors.add(node);
      devices += Math.max(1, registrations.get(node).getDevicesCount());
      agents.put(node, joiners.remove(node));
      lost.remove(node);
    }
    devices = Math.min(devices, spec.getDevices());
    if (survivors.isEmpty()) {
      return fail("every node of job " + spec.getJobId() + " was lost (" + String.join(", ", lost) + ")");
    }
    RecoveryPlanner.Replan plan;
    try {
      plan = recoveryPlanner.replan(devices, why);
    } catch (RuntimeException e) {
      return fail("re-planning job " + spec.getJobId() + " over " + devices + " device(s) failed: " + e.getMessage());
    }
    emit("re-planned", String.format(Locale.ROOT, "re-planned to schedule %s on %d device(s) because %s (%.0f ms)%s",
        plan.schedule().name(), devices, plan.reason(), (System.nanoTime() - t0) / 1e6, since()));
    restoreStep = -1;
    if (spec.getCheckpointDir().isBlank()) { // with a directory, checkpoints may also come on request
      emit("restart", "no checkpoint to restore (checkpointing is off for this job): restarting from step 0");
    } else {
      CheckpointStore store = new CheckpointStore(Path.of(spec.getCheckpointDir()), 1);
      Optional<Checkpoint> c = store.latestValid(m -> emit("checkpoint-skipped", m));
      if (c.isPresent()) {
        restoreStep = c.get().step();
      } else {
        emit("restart", spec.getCheckpointEvery() > 0
            ? "no checkpoint yet in " + spec.getCheckpointDir() + " (the first is due after step "
                + spec.getCheckpointEvery() + "): restarting from step 0"
            : "no checkpoint to restore (checkpointing is off for this job): restarting from step 0");
      }
    }
    attempt++;
    record();
    schedule = plan.schedule();
    runSpec = plan.spec().toBuilder().setJobId(spec.getJobId() + "-r" + attempt).build();
    assignment.clear();
    java.util.Collections.sort(survivors);
    for (int d = 0; d < schedule.devices(); d++) {
      assignment.computeIfAbsent(survivors.get(d % survivors.size()), n -> new ArrayList<>()).add(d);
    }
    spawnWorkers();
    return this;
  }

  private String since() {
    return detectedNanos == 0 ? "" : String.format(Locale.ROOT, " (+%.0f ms since detection)",
        (System.nanoTime() - detectedNanos) / 1e6);
  }

  private void emit(String kind, String message) {
    getContext().getLog().info("job {}: {}", spec.getJobId(), message);
    replyTo.tell(new JobEvent.Progress(kind, message));
  }

  private Behavior<Command> fail(String message) {
    getContext().getLog().error("job {} failed: {}", spec.getJobId(), message);
    ended();
    replyTo.tell(new JobEvent.JobFailed(message));
    if (coordinator != null) {
      getContext().stop(coordinator);
    }
    release();
    return Behaviors.stopped();
  }

  private void release() {
    String runId = runSpec.getJobId();
    agents.forEach((node, a) -> {
      if (!lost.contains(node)) {
        a.tell(new NodeAgent.ReleaseJob(runId));
      }
    });
  }
}
