package io.tandem.actors.cluster;

import io.tandem.actors.JobEvent;
import io.tandem.actors.admin.JobRecord;
import io.tandem.actors.blocking.BlockingExecutors;
import io.tandem.proto.JobHistory;
import io.tandem.proto.JobSpec;
import io.tandem.proto.Registration;
import io.tandem.proto.RunningJob;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
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
import org.apache.pekko.cluster.typed.Leave;

/**
 * The cluster's coordinator: a Cluster Singleton on the {@code coordinator} role. It runs
 * several jobs side by side, each in a {@link JobRun} child on its own worker nodes, which
 * streams the job's events back to the submitter.
 *
 * <p>Queue: jobs are considered in submission order each time the cluster or the running jobs
 * change; {@link JobAdmission} decides for each: start on free worker nodes (up, reachable, not
 * used by another job, not drained), wait (saying so once per change of reason, as a
 * {@code waiting} event), or refuse (the declared cluster can never hold it). A waiting job does
 * not block a later one that fits the free nodes. A job that waits for nodes to join (not for
 * other jobs to end) fails after {@code node-wait-timeout}.
 *
 * <p>With a job store ({@code tandem.cluster.job-store}) each running job is recorded, and a job
 * master that takes over (the singleton moved because its node died) resumes them from their
 * last checkpoints, still reporting to the same submitters. Each job's status and events are
 * recorded there too ({@link JobHistoryLog}); the job master that takes over loads them, the
 * running jobs' and the {@link #FINISHED_KEPT} latest ended ones', into {@link TakenOverJobs},
 * so that its node's admin API shows each job's whole history, the take-over included
 * ({@code coordinator-moved}).
 */
public final class JobMaster extends AbstractBehavior<JobMaster.Command> {

  /** Messages the job master accepts. */
  public sealed interface Command {}

  /**
   * Run {@code spec} once {@code minNodes} worker nodes are free; every {@link JobEvent} goes to
   * {@code replyTo}, the last being {@link JobEvent.JobSucceeded}, {@link JobEvent.JobFailed}
   * or {@link JobEvent.JobCancelled}.
   */
  public record SubmitJob(JobSpec spec, int minNodes, ActorRef<JobEvent> replyTo) implements Command {}

  /**
   * Cancel job {@code jobId}, running or queued; its submitter gets {@link JobEvent.JobCancelled}.
   * Unknown ids are ignored.
   */
  public record CancelJob(String jobId, String reason) implements Command {}

  /**
   * Checkpoint job {@code jobId} at its next step boundary; its submitter gets a
   * {@link JobEvent.Progress} {@code checkpoint} (or {@code checkpoint-skipped}) event. A
   * queued job's submitter hears {@code checkpoint-skipped}; unknown ids are ignored.
   */
  public record CheckpointJob(String jobId) implements Command {}

  /**
   * Drain {@code node} (a cluster address): the jobs on it move off it at their next step
   * boundary (checkpoint, re-plan, restore), then the node leaves the cluster; with no job on
   * it, it leaves at once. No new job starts on it.
   */
  public record DrainNode(String node) implements Command {}

  /** Stop message of the singleton (hand-over): fails the running jobs. */
  public enum Stop implements Command { INSTANCE }

  /** The run of {@code jobId} ended (sent by the run before it tells the submitter, and on its stop). */
  record RunEnded(String jobId) implements Command {}

  /** Job {@code jobId} now uses {@code nodes} (sent by its run when it chooses or re-plans). */
  record NodesInUse(String jobId, Set<String> nodes) implements Command {}

  private record AgentsChanged(Set<ActorRef<NodeAgent.Command>> agents) implements Command {}

  private record FromAgent(NodeAgent.Reply reply) implements Command {}

  private record MemberChanged(ClusterEvent.MemberEvent event) implements Command {}

  private record ReachabilityChanged(ClusterEvent.ReachabilityEvent event) implements Command {}

  /** The run actor {@code run} of {@code jobId} stopped. */
  private record RunStopped(String jobId, ActorRef<JobRun.Command> run) implements Command {}

  private enum Tick implements Command { INSTANCE }

  private static final Duration TICK = Duration.ofSeconds(1);
  /**
   * How long a job this job master took over waits for all its nodes before it resumes on the
   * ones there (re-planned over fewer devices): the nodes that died with the old job master are
   * downed meanwhile, the ones alive have registered.
   */
  static final Duration TAKE_OVER_GRACE = Duration.ofSeconds(5);
  /** Histories of ended jobs a job master that takes over keeps (the older ones are deleted). */
  static final int FINISHED_KEPT = 100;

  /** A job not started yet; {@code attempt} > 0 resumes one another job master ran. */
  private static final class Queued {
    final SubmitJob job;
    final int attempt;
    /** The job's events go to its submitter through here. */
    final JobHistoryLog log;
    String lastReason = "";
    long waitingForNodesSince = -1;

    Queued(SubmitJob job, int attempt, JobHistoryLog log) {
      this.job = job;
      this.attempt = attempt;
      this.log = log;
    }

    String id() {
      return job.spec().getJobId();
    }
  }

  private record Running(ActorRef<JobRun.Command> run, ActorRef<JobEvent> replyTo, Set<String> nodes) {}

  private final ClusterSettings settings;
  private final JobStore store;
  private final TimerScheduler<Command> timers;
  private final Address selfAddress;
  private final NodeMembership<ActorRef<NodeAgent.Command>> view = new NodeMembership<>();
  private final Map<String, Registration> registrations = new HashMap<>();
  private final Set<String> drained = new HashSet<>();
  private final List<Queued> queue = new ArrayList<>();
  private final Map<String, Running> runs = new LinkedHashMap<>();
  private final ActorRef<NodeAgent.Reply> agentAdapter;
  private final ClusterWatch watch;
  private final java.util.concurrent.Executor io;

  private JobMaster(ActorContext<Command> ctx, TimerScheduler<Command> timers, ClusterSettings settings, JobStore store) {
    super(ctx);
    this.settings = settings;
    this.store = store;
    this.timers = timers;
    this.selfAddress = Cluster.get(ctx.getSystem()).selfMember().address();
    this.agentAdapter = ctx.messageAdapter(NodeAgent.Reply.class, FromAgent::new);
    this.watch = ClusterWatch.start(ctx, AgentsChanged::new, MemberChanged::new, ReachabilityChanged::new);
    this.io = BlockingExecutors.get(ctx.getSystem()).io();
  }

  public static Behavior<Command> create(ClusterSettings settings) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      JobStore store = settings.jobStore().isBlank() ? null : new JobStore(java.nio.file.Path.of(settings.jobStore()));
      JobMaster master = new JobMaster(ctx, timers, settings, store);
      List<RunningJob> recorded = List.of();
      try {
        recorded = store == null ? List.of() : store.runningAll();
      } catch (RuntimeException e) {
        ctx.getLog().error("cannot resume the recorded jobs: {}", e.getMessage());
      }
      for (RunningJob r : recorded) {
        ActorRef<JobEvent> replyTo = ActorRefResolver.get(ctx.getSystem()).resolveActorRef(r.getReplyTo());
        ctx.getLog().info("job master took over: resuming job {} (attempt {})", r.getSpec().getJobId(), r.getAttempt() + 1);
        JobHistoryLog log = master.takeOver(r.getSpec(), replyTo);
        master.queue.add(new Queued(new SubmitJob(r.getSpec(), r.getMinNodes(), replyTo), r.getAttempt() + 1, log));
      }
      if (store != null) {
        master.loadEnded(recorded.stream().map(r -> r.getSpec().getJobId()).collect(java.util.stream.Collectors.toSet()));
      }
      master.schedule();
      return master;
    }));
  }

  /**
   * The log of a running job this job master resumes: its recorded history (a clear log line and
   * a note when it cannot be read), then the take-over ({@code coordinator-moved}).
   */
  private JobHistoryLog takeOver(JobSpec spec, ActorRef<JobEvent> replyTo) {
    String id = spec.getJobId();
    JobStore.StoredHistory stored;
    try {
      stored = store.history(id);
    } catch (RuntimeException e) {
      stored = new JobStore.StoredHistory(null, e.getMessage());
    }
    JobRecord record = stored.history() != null ? JobRecord.fromHistory(stored.history()) : new JobRecord(spec);
    JobHistoryLog log = new JobHistoryLog(record, replyTo, store, io);
    if (!stored.problem().isEmpty()) {
      getContext().getLog().error("job {}: its history is lost, it starts again at the take-over: {}", id,
          stored.problem());
      log.record(new JobEvent.Progress("history-lost", "the job's history before the take-over could not be read ("
          + stored.problem() + ")"));
    } else if (stored.history() == null) {
      log.record(new JobEvent.Progress("history-lost", "no history of the job was recorded before the take-over"));
    }
    TakenOverJobs.get(getContext().getSystem()).put(record);
    log.tell(new JobEvent.Progress("coordinator-moved", "the job master moved to " + selfAddress + "; resuming job "
        + id + " from its last checkpoint"));
    return log;
  }

  /**
   * Loads the histories of the jobs not running (all but {@code running}) into
   * {@link TakenOverJobs}: the {@link #FINISHED_KEPT} latest, the older ones deleted. One that
   * never ended (it was queued when its job master died) is recorded as failed.
   */
  private void loadEnded(Set<String> running) {
    List<JobHistory> ended;
    try {
      ended = new ArrayList<>(store.historiesAll(running));
    } catch (RuntimeException e) {
      getContext().getLog().error("cannot load the histories of ended jobs: {}", e.getMessage());
      return;
    }
    ended.sort(java.util.Comparator.comparingLong(JobHistory::getSubmittedMs).reversed());
    TakenOverJobs takenOver = TakenOverJobs.get(getContext().getSystem());
    for (int i = 0; i < ended.size(); i++) {
      JobHistory h = ended.get(i);
      if (i >= FINISHED_KEPT) {
        store.forgetHistoryLater(h.getSpec().getJobId(), io);
        continue;
      }
      JobRecord record = JobRecord.fromHistory(h);
      if (!record.isFinal()) {
        new JobHistoryLog(record, getContext().getSystem().ignoreRef(), store, io).record(new JobEvent.JobFailed(
            "its job master died before the job started; it is not resumed (submit it again)"));
      }
      takenOver.put(record);
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(SubmitJob.class, this::onSubmit)
        .onMessage(RunEnded.class, this::onRunEnded)
        .onMessage(RunStopped.class, m -> {
          Running r = runs.get(m.jobId());
          return r != null && r.run().equals(m.run()) ? onRunEnded(new RunEnded(m.jobId())) : this;
        })
        .onMessage(NodesInUse.class, this::onNodesInUse)
        .onMessage(CancelJob.class, this::onCancel)
        .onMessage(CheckpointJob.class, this::onCheckpoint)
        .onMessage(DrainNode.class, this::onDrain)
        .onMessage(AgentsChanged.class, this::onAgents)
        .onMessage(FromAgent.class, this::onAgent)
        .onMessage(MemberChanged.class, this::onMember)
        .onMessage(ReachabilityChanged.class, m -> {
          view.reachability(m.event().member().address().toString(),
              !(m.event() instanceof ClusterEvent.UnreachableMember));
          return schedule();
        })
        .onMessageEquals(Tick.INSTANCE, () -> {
          view.listed().forEach((node, agent) -> { // a Describe (or its answer) lost: ask again
            if (!registrations.containsKey(node)) {
              agent.tell(new NodeAgent.Describe(agentAdapter));
            }
          });
          return schedule();
        })
        .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
        .onSignal(PostStop.class, s -> {
          watch.stop();
          return this;
        })
        .build();
  }

  private Behavior<Command> onSubmit(SubmitJob m) {
    String id = m.spec().getJobId();
    if (runs.containsKey(id) || queue.stream().anyMatch(q -> q.id().equals(id))) {
      m.replyTo().tell(new JobEvent.JobFailed("a job '" + id + "' is already running or queued"));
      return this;
    }
    queue.add(new Queued(m, 0, new JobHistoryLog(new JobRecord(m.spec()), m.replyTo(), store, io)));
    return schedule();
  }

  private Behavior<Command> onRunEnded(RunEnded m) {
    if (runs.remove(m.jobId()) != null) {
      tellNodesOfOthers();
    }
    return schedule();
  }

  private Behavior<Command> onNodesInUse(NodesInUse m) {
    Running r = runs.get(m.jobId());
    if (r != null && !r.nodes().equals(m.nodes())) {
      runs.put(m.jobId(), new Running(r.run(), r.replyTo(), Set.copyOf(m.nodes())));
      tellNodesOfOthers();
      return schedule();
    }
    return this;
  }

  private Behavior<Command> onCancel(CancelJob m) {
    Running r = runs.get(m.jobId());
    if (r != null) {
      r.run().tell(new JobRun.Cancel(m.reason()));
      return this;
    }
    for (Iterator<Queued> it = queue.iterator(); it.hasNext(); ) {
      Queued q = it.next();
      if (q.id().equals(m.jobId())) {
        it.remove();
        JobEvent.JobCancelled cancelled = new JobEvent.JobCancelled(0, m.reason());
        if (store != null && q.attempt > 0) { // a job taken over, not started again yet: nothing left to resume
          q.log.record(cancelled);
          store.clearLater(q.id(), io).thenRun(() -> q.job.replyTo().tell(cancelled));
        } else {
          q.log.tell(cancelled);
        }
      }
    }
    return this;
  }

  private Behavior<Command> onCheckpoint(CheckpointJob m) {
    Running r = runs.get(m.jobId());
    if (r != null) {
      r.run().tell(JobRun.CheckpointNow.INSTANCE);
    } else {
      queue.stream().filter(q -> q.id().equals(m.jobId())).forEach(q -> q.log.tell(
          new JobEvent.Progress("checkpoint-skipped", "checkpoint on request not taken: job " + m.jobId()
              + " has not started (" + (q.lastReason.isEmpty() ? "queued" : q.lastReason) + ")")));
    }
    return this;
  }

  private Behavior<Command> onDrain(DrainNode m) {
    drained.add(m.node());
    List<Running> on = runs.values().stream().filter(r -> r.nodes().contains(m.node())).toList();
    if (on.isEmpty()) {
      getContext().getLog().info("draining node {}: no job runs on it; it leaves the cluster", m.node());
      Cluster.get(getContext().getSystem()).manager().tell(Leave.create(AddressFromURIString.parse(m.node())));
    } else {
      on.forEach(r -> r.run().tell(new JobRun.Drain(m.node())));
    }
    return this;
  }

  private Behavior<Command> onAgents(AgentsChanged m) {
    Map<String, ActorRef<NodeAgent.Command>> byNode = new TreeMap<>();
    m.agents().forEach(a -> byNode.put(nodeOf(a), a));
    byNode.forEach((node, a) -> {
      if (!view.listed().containsKey(node)) {
        a.tell(new NodeAgent.Describe(agentAdapter));
      }
    });
    registrations.keySet().retainAll(byNode.keySet());
    view.listed(byNode);
    return schedule();
  }

  private Behavior<Command> onAgent(FromAgent m) {
    if (m.reply() instanceof NodeAgent.Described d) {
      registrations.put(d.registration().getNode(), d.registration());
      return schedule();
    }
    return this;
  }

  private Behavior<Command> onMember(MemberChanged m) {
    ClusterEvent.MemberEvent e = m.event();
    String node = e.member().address().toString();
    if (e instanceof ClusterEvent.MemberUp || e instanceof ClusterEvent.MemberWeaklyUp) {
      view.memberStatus(node, true);
    } else if (!(e instanceof ClusterEvent.MemberJoined)) {
      view.memberStatus(node, false);
    }
    if (e instanceof ClusterEvent.MemberRemoved) {
      drained.remove(node);
    }
    return schedule();
  }

  private String nodeOf(ActorRef<?> ref) {
    Address a = ref.path().address();
    return (a.hasLocalScope() ? selfAddress : a).toString();
  }

  /** Goes through the queue in submission order: starts, refuses or lets wait each job. */
  private Behavior<Command> schedule() {
    Set<String> busy = new HashSet<>(drained);
    runs.values().forEach(r -> busy.addAll(r.nodes()));
    for (Iterator<Queued> it = queue.iterator(); it.hasNext(); ) {
      Queued q = it.next();
      JobSpec spec = q.job.spec();
      Map<String, Integer> up = new TreeMap<>(); // healthy nodes whose agent has described its devices
      view.healthyListed().keySet().stream().filter(registrations::containsKey).forEach(node -> up.put(node,
          DevicePlacement.capacity(spec.getBackend(), registrations.get(node))));
      Set<String> free = new HashSet<>(up.keySet());
      free.removeAll(busy);
      JobAdmission.Decision d = JobAdmission.decide(new JobAdmission.Demand(spec.getJobId(), spec.getBackend(),
          spec.getDevices(), q.job.minNodes()), up, free, settings.expectedWorkers());
      List<String> there = up.keySet().stream().filter(n -> free.contains(n) && up.get(n) > 0).toList();
      if (q.attempt > 0 && d instanceof JobAdmission.Wait w && w.forNodes() && !there.isEmpty()
          && q.waitingForNodesSince >= 0 && System.nanoTime() - q.waitingForNodesSince > TAKE_OVER_GRACE.toNanos()) {
        q.log.tell(new JobEvent.Progress("take-over-short", "job " + q.id() + ": " + there.size() + " of its "
            + q.job.minNodes() + " node(s) are there " + TAKE_OVER_GRACE.toSeconds() + " s after the take-over;"
            + " resuming on them, re-planned"));
        d = new JobAdmission.Start(there);
      }
      if (d instanceof JobAdmission.Refuse r && q.attempt == 0) {
        it.remove();
        getContext().getLog().warn("job {} refused: {}", q.id(), r.reason());
        q.log.tell(new JobEvent.JobFailed("refused: " + r.reason()));
      } else if (d instanceof JobAdmission.Start s) {
        it.remove();
        busy.addAll(s.nodes());
        start(q, s.nodes());
      } else {
        String reason = d instanceof JobAdmission.Wait w ? w.reason() : ((JobAdmission.Refuse) d).reason();
        boolean forNodes = !(d instanceof JobAdmission.Wait w) || w.forNodes();
        if (!reason.equals(q.lastReason)) {
          q.lastReason = reason;
          getContext().getLog().info("job {} {}", q.id(), reason);
          q.log.tell(new JobEvent.Progress("waiting", "job " + q.id() + " " + reason));
        }
        long now = System.nanoTime();
        q.waitingForNodesSince = forNodes ? (q.waitingForNodesSince < 0 ? now : q.waitingForNodesSince) : -1;
        if (forNodes && now - q.waitingForNodesSince > settings.nodeWaitTimeout().toNanos()) {
          it.remove();
          q.log.tell(new JobEvent.JobFailed("job " + q.id() + " timed out after "
              + settings.nodeWaitTimeout().toSeconds() + " s " + reason + " (tandem.cluster.node-wait-timeout)"));
        }
      }
    }
    if (queue.isEmpty()) {
      timers.cancel(Tick.INSTANCE);
    } else if (!timers.isTimerActive(Tick.INSTANCE)) {
      timers.startTimerWithFixedDelay(Tick.INSTANCE, Tick.INSTANCE, TICK);
    }
    return this;
  }

  private void start(Queued q, List<String> nodes) {
    SubmitJob m = q.job;
    String jobId = m.spec().getJobId();
    if (!q.lastReason.isEmpty()) {
      q.log.tell(new JobEvent.Progress("admitted", "job " + jobId + " starts on " + nodes.size()
          + " worker node(s): " + String.join(", ", nodes)));
    }
    getContext().getLog().info("job {} starts on {} ({} job(s) running)", jobId, nodes, runs.size() + 1);
    Set<String> others = nodesOfOthers(jobId);
    String name = "job-" + jobId.replaceAll("[^A-Za-z0-9_-]", "-");
    for (int n = 2; getContext().getChild(name).isPresent(); n++) { // the same id's last run still stopping
      name = "job-" + jobId.replaceAll("[^A-Za-z0-9_-]", "-") + "-" + n;
    }
    // a job taken over may resume on fewer nodes than it asked for (re-planned; see TAKE_OVER_GRACE)
    int minNodes = q.attempt > 0 ? Math.min(m.minNodes(), nodes.size()) : m.minNodes();
    ActorRef<JobRun.Command> run = getContext().spawn(JobRun.create(m.spec(), minNodes, q.log, settings,
        q.attempt, store, getContext().getSelf(), Set.copyOf(nodes), others), name);
    getContext().watchWith(run, new RunStopped(jobId, run));
    runs.put(jobId, new Running(run, m.replyTo(), Set.copyOf(nodes)));
    tellNodesOfOthers();
  }

  private Set<String> nodesOfOthers(String jobId) {
    Set<String> others = new HashSet<>();
    runs.forEach((id, r) -> {
      if (!id.equals(jobId)) {
        others.addAll(r.nodes());
      }
    });
    return others;
  }

  private void tellNodesOfOthers() {
    runs.forEach((id, r) -> r.run().tell(new JobRun.NodesOfOtherJobs(Set.copyOf(nodesOfOthers(id)))));
  }
}
