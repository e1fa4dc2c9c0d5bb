package io.tandem.actors.cluster;

import io.tandem.actors.coordinator.CheckpointPolicy;
import io.tandem.actors.coordinator.Coordinator;
import io.tandem.actors.JobConfig;
import io.tandem.actors.JobEvent;
import io.tandem.actors.worker.StageWorker;
import io.tandem.proto.JobSpec;
import io.tandem.schedule.Schedule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Drives one attempt of a job on the cluster: has the node agents spawn the attempt's stage
 * workers, gathers them, then starts a {@link Coordinator} over them whose events come back to
 * the job's actor tagged with the attempt (through a forwarder child, so a stopped attempt's
 * late events are told apart). Stopping it drops the step in flight.
 *
 * @param <C> the owning actor's message type
 */
final class AttemptDriver<C> {
  private final ActorContext<C> ctx;
  private final int attempt;
  private final JobSpec runSpec;
  private final Schedule schedule;
  private final long restoreStep;
  private final Map<Integer, ActorRef<StageWorker.Command>> workers = new TreeMap<>();
  private ActorRef<Coordinator.Command> coordinator;
  private ActorRef<JobEvent> forwarder;
  private final java.security.SecureRandom random = new java.security.SecureRandom();

  /**
   * @param runSpec the attempt's spec (its job id is the attempt's: {@code id-rN} after re-plans)
   * @param restoreStep the checkpoint the workers load; -1 = none (step 0)
   */
  AttemptDriver(ActorContext<C> ctx, int attempt, JobSpec runSpec, Schedule schedule, long restoreStep) {
    this.ctx = ctx;
    this.attempt = attempt;
    this.runSpec = runSpec;
    this.schedule = schedule;
    this.restoreStep = restoreStep;
  }

  int attempt() {
    return attempt;
  }

  String runId() {
    return runSpec.getJobId();
  }

  Schedule schedule() {
    return schedule;
  }

  long restoreStep() {
    return restoreStep;
  }

  /**
   * Asks each node's agent to open its devices of the attempt ({@code assignment}), with a new
   * data plane key for the attempt, known only to its nodes.
   */
  void spawnWorkers(Map<String, List<Integer>> assignment, Map<String, String> endpoints,
      Map<String, ActorRef<NodeAgent.Command>> agents, ActorRef<NodeAgent.Reply> replyTo,
      Function<String, NodeAgent.Snapshots> snapshotsOf, NodeAgent.DiskShards shards) {
    workers.clear();
    byte[] key = new byte[32];
    random.nextBytes(key);
    assignment.forEach((node, devices) -> agents.get(node).tell(new NodeAgent.SpawnWorkers(runSpec, devices, endpoints,
        restoreStep, key, replyTo, snapshotsOf.apply(node), shards)));
  }

  /** A node's workers are up; returns whether every schedule device has its worker now. */
  boolean spawned(Map<Integer, ActorRef<StageWorker.Command>> spawned) {
    workers.putAll(spawned);
    return workers.size() == schedule.devices() * io.tandem.actors.JobSpecs.dataParallel(runSpec);
  }

  /**
   * Starts the coordinator over the workers; its events reach the owner as {@code wrap(attempt, event)}.
   * Returns the {@link JobEvent.JobStarted} to tell the submitter.
   */
  JobEvent.JobStarted start(JobSpec spec, Duration defaultStepTimeout, Address self,
      java.util.function.BiFunction<Integer, JobEvent, C> wrap) {
    Duration stepTimeout = spec.getStepTimeoutS() > 0
        ? Duration.ofMillis((long) (spec.getStepTimeoutS() * 1000)) : defaultStepTimeout;
    JobConfig job = new JobConfig(runSpec.getJobId(), schedule, spec.getSteps(), spec.getClipNorm(), stepTimeout,
        Math.max(0, restoreStep), CheckpointPolicy.of(spec), io.tandem.actors.JobSpecs.snapshotEvery(spec));
    ActorRef<C> owner = ctx.getSelf();
    int a = attempt;
    forwarder = ctx.spawn(Behaviors.receive(JobEvent.class).onAnyMessage(e -> {
      owner.tell(wrap.apply(a, e));
      return Behaviors.same();
    }).build(), "events-" + attempt);
    List<String> nodes = new ArrayList<>();
    Function<Address, Address> resolve = addr -> addr.hasLocalScope() ? self : addr;
    workers.values().forEach(w -> nodes.add(resolve.apply(w.path().address()).toString()));
    coordinator = ctx.spawn(Coordinator.forWorkers(job, new ArrayList<>(workers.values()), forwarder),
        "coordinator-" + attempt);
    return new JobEvent.JobStarted(schedule.name(), nodes, attempt, Math.max(0, restoreStep));
  }

  /** Whether the coordinator runs (steps are being driven). */
  boolean running() {
    return coordinator != null;
  }

  /** Tells the running coordinator; false when none runs. */
  boolean tell(Coordinator.Command command) {
    if (coordinator == null) {
      return false;
    }
    coordinator.tell(command);
    return true;
  }

  /** The coordinator reported the attempt failed: it stopped itself. */
  void coordinatorEnded() {
    coordinator = null;
  }

  /** Stops the coordinator (dropping the step in flight) and the forwarder. */
  void stop() {
    if (coordinator != null) {
      ctx.stop(coordinator);
      coordinator = null;
    }
    if (forwarder != null) {
      ctx.stop(forwarder);
      forwarder = null;
    }
    workers.clear();
  }
}
