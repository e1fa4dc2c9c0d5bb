package io.tandem.actors.cluster;

import io.tandem.actors.Coordinator;
import io.tandem.actors.JobConfig;
import io.tandem.actors.JobEvent;
import io.tandem.actors.JobFactory;
import io.tandem.actors.StageWorker;
import io.tandem.proto.JobSpec;
import io.tandem.proto.Registration;
import io.tandem.schedule.Schedule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * One job on the cluster, from submission to its end: waits for enough node agents, asks them
 * for their data plane endpoints, assigns schedule devices to nodes (round robin over the
 * nodes sorted by address), has each agent spawn its stage workers, then drives the steps with
 * a {@link Coordinator} over those (remote) workers and forwards its events to the submitter.
 * At the end it releases the workers. A node that leaves mid-job fails the job.
 */
final class JobRun extends AbstractBehavior<JobRun.Command> {

  sealed interface Command {}

  private record AgentsChanged(Set<ActorRef<NodeAgent.Command>> agents) implements Command {}

  private record FromAgent(NodeAgent.Reply reply) implements Command {}

  private record FromCoordinator(JobEvent event) implements Command {}

  private record TimedOut(String phase) implements Command {}

  /** Cancel the job: before it runs, it ends at once; while it runs, its coordinator drops the step. */
  record Cancel(String reason) implements Command {}

  private enum Phase { WAIT_NODES, DESCRIBE, SPAWN, RUN }

  private final JobSpec spec;
  private final int minNodes;
  private final ActorRef<JobEvent> replyTo;
  private final ClusterSettings settings;
  private final TimerScheduler<Command> timers;
  private final ActorRef<NodeAgent.Reply> agentAdapter;

  private Phase phase = Phase.WAIT_NODES;
  private Schedule schedule;
  private final List<ActorRef<NodeAgent.Command>> chosen = new ArrayList<>();
  private final Map<String, Registration> registrations = new TreeMap<>();
  private final Map<Integer, ActorRef<StageWorker.Command>> workers = new TreeMap<>();
  private ActorRef<Coordinator.Command> coordinator;

  private JobRun(ActorContext<Command> ctx, TimerScheduler<Command> timers, JobSpec spec, int minNodes,
      ActorRef<JobEvent> replyTo, ClusterSettings settings) {
    super(ctx);
    this.spec = spec;
    this.minNodes = Math.max(1, minNodes);
    this.replyTo = replyTo;
    this.settings = settings;
    this.timers = timers;
    this.agentAdapter = ctx.messageAdapter(NodeAgent.Reply.class, FromAgent::new);
    ActorRef<Receptionist.Listing> listing = ctx.messageAdapter(Receptionist.Listing.class,
        l -> new AgentsChanged(l.getServiceInstances(NodeAgent.SERVICE_KEY)));
    ctx.getSystem().receptionist().tell(Receptionist.subscribe(NodeAgent.SERVICE_KEY, listing));
    timers.startSingleTimer(new TimedOut("waiting for " + this.minNodes + " worker node(s)"), settings.nodeWaitTimeout());
  }

  static Behavior<Command> create(JobSpec spec, int minNodes, ActorRef<JobEvent> replyTo, ClusterSettings settings) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      JobRun run = new JobRun(ctx, timers, spec, minNodes, replyTo, settings);
      try {
        run.schedule = JobFactory.schedule(spec);
        JobFactory.provider(spec, run.schedule); // checks backend and model names up front
      } catch (RuntimeException e) {
        replyTo.tell(new JobEvent.JobFailed(e.getMessage()));
        return Behaviors.stopped();
      }
      return run;
    }));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(AgentsChanged.class, this::onAgents)
        .onMessage(FromAgent.class, this::onAgent)
        .onMessage(FromCoordinator.class, this::onEvent)
        .onMessage(TimedOut.class, t -> fail("job " + spec.getJobId() + " timed out " + t.phase()))
        .onMessage(Cancel.class, this::onCancel)
        .build();
  }

  private Behavior<Command> onAgents(AgentsChanged msg) {
    if (phase == Phase.WAIT_NODES && msg.agents().size() >= minNodes) {
      List<ActorRef<NodeAgent.Command>> sorted = new ArrayList<>(msg.agents());
      sorted.sort(Comparator.comparing(a -> a.path().toString()));
      chosen.addAll(sorted.subList(0, Math.min(sorted.size(), spec.getDevices())));
      phase = Phase.DESCRIBE;
      timers.startSingleTimer(new TimedOut("asking " + chosen.size() + " node(s) for their devices"),
          settings.spawnTimeout());
      chosen.forEach(a -> a.tell(new NodeAgent.Describe(agentAdapter)));
    } else if (phase != Phase.WAIT_NODES) {
      for (ActorRef<NodeAgent.Command> a : chosen) {
        if (!msg.agents().contains(a)) {
          return fail("node " + a.path().address() + " left the cluster during job " + spec.getJobId()
              + " (phase " + phase.name().toLowerCase(java.util.Locale.ROOT) + ")");
        }
      }
    }
    return this;
  }

  private Behavior<Command> onAgent(FromAgent msg) {
    NodeAgent.Reply r = msg.reply();
    if (r instanceof NodeAgent.Described d && phase == Phase.DESCRIBE) {
      registrations.put(d.registration().getNode(), d.registration());
      if (registrations.size() == chosen.size()) {
        spawnWorkers();
      }
    } else if (r instanceof NodeAgent.WorkersSpawned w && phase == Phase.SPAWN) {
      workers.putAll(w.workers());
      if (workers.size() == schedule.devices()) {
        startCoordinator();
      }
    } else if (r instanceof NodeAgent.SpawnFailed f) {
      return fail("node " + f.node() + " could not start its workers: " + f.message());
    }
    return this;
  }

  private void spawnWorkers() {
    phase = Phase.SPAWN;
    Map<String, String> endpoints = new HashMap<>();
    registrations.forEach((node, reg) -> endpoints.put(node, reg.getDataPlaneHost() + ":" + reg.getDataPlanePort()));
    Map<ActorRef<NodeAgent.Command>, List<Integer>> assignment = new HashMap<>();
    for (int d = 0; d < schedule.devices(); d++) {
      assignment.computeIfAbsent(chosen.get(d % chosen.size()), a -> new ArrayList<>()).add(d);
    }
    getContext().getLog().info("job {}: devices {} on data planes {}", spec.getJobId(), assignment, endpoints);
    timers.startSingleTimer(new TimedOut("while the nodes opened their devices"), settings.spawnTimeout());
    byte[] key = new byte[32];
    new java.security.SecureRandom().nextBytes(key); // the job's data plane key, known only to its nodes
    assignment.forEach((agent, devices) -> agent.tell(new NodeAgent.SpawnWorkers(spec, devices, endpoints, key,
        agentAdapter)));
  }

  private void startCoordinator() {
    phase = Phase.RUN;
    timers.cancelAll(); // the coordinator times every step itself
    Duration stepTimeout = spec.getStepTimeoutS() > 0
        ? Duration.ofMillis((long) (spec.getStepTimeoutS() * 1000)) : settings.stepTimeout();
    JobConfig job = new JobConfig(spec.getJobId(), schedule, spec.getSteps(), spec.getClipNorm(), stepTimeout);
    ActorRef<JobEvent> events = getContext().messageAdapter(JobEvent.class, FromCoordinator::new);
    List<String> nodes = new ArrayList<>();
    org.apache.pekko.actor.Address self = org.apache.pekko.cluster.typed.Cluster.get(getContext().getSystem())
        .selfMember().address();
    workers.values().forEach(w -> nodes.add((w.path().address().hasLocalScope() ? self : w.path().address())
        .toString()));
    replyTo.tell(new JobEvent.JobStarted(schedule.name(), nodes));
    coordinator = getContext().spawn(Coordinator.forWorkers(job, new ArrayList<>(workers.values()), events),
        "coordinator");
  }

  private Behavior<Command> onEvent(FromCoordinator msg) {
    replyTo.tell(msg.event());
    if (!msg.event().terminal()) {
      return this;
    }
    release();
    return Behaviors.stopped();
  }

  private Behavior<Command> onCancel(Cancel msg) {
    if (coordinator != null) {
      coordinator.tell(new Coordinator.Cancel(msg.reason()));
      return this;
    }
    getContext().getLog().info("job {} cancelled before it started: {}", spec.getJobId(), msg.reason());
    replyTo.tell(new JobEvent.JobCancelled(0, msg.reason()));
    release();
    return Behaviors.stopped();
  }

  private Behavior<Command> fail(String message) {
    getContext().getLog().error("job {} failed: {}", spec.getJobId(), message);
    replyTo.tell(new JobEvent.JobFailed(message));
    release();
    return Behaviors.stopped();
  }

  private void release() {
    chosen.forEach(a -> a.tell(new NodeAgent.ReleaseJob(spec.getJobId())));
  }
}
