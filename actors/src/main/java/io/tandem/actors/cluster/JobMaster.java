package io.tandem.actors.cluster;

import io.tandem.actors.JobEvent;
import io.tandem.proto.JobSpec;
import io.tandem.proto.RunningJob;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Leave;

/**
 * The cluster's coordinator: a Cluster Singleton on the {@code coordinator} role. It runs one
 * job at a time in a {@link JobRun} child, which streams the job's events back to the
 * submitter; jobs submitted meanwhile wait in a queue, in submission order. With a job store
 * ({@code tandem.cluster.job-store}) it records the running job, and a job master that takes
 * over (the singleton moved because its node died) resumes it from its last checkpoint, still
 * reporting to the same submitter.
 */
public final class JobMaster {
  private JobMaster() {}

  /** Messages the job master accepts. */
  public sealed interface Command {}

  /**
   * Run {@code spec} once {@code minNodes} worker nodes are up; every {@link JobEvent} goes to
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
   * Drain {@code node} (a cluster address): the running job moves off it at its next step
   * boundary (checkpoint, re-plan, restore), then the node leaves the cluster; with no job on
   * it, it leaves at once.
   */
  public record DrainNode(String node) implements Command {}

  /** Stop message of the singleton (hand-over): fails the running job. */
  public enum Stop implements Command { INSTANCE }

  /** The run of {@code jobId} ended (sent by the run before it tells the submitter, and on its stop). */
  record RunEnded(String jobId) implements Command {}

  public static Behavior<Command> create(ClusterSettings settings) {
    return Behaviors.setup(ctx -> {
      JobStore store = settings.jobStore().isBlank() ? null : new JobStore(java.nio.file.Path.of(settings.jobStore()));
      Deque<SubmitJob> queue = new ArrayDeque<>();
      Optional<RunningJob> running = Optional.empty();
      try {
        running = store == null ? Optional.empty() : store.running();
      } catch (RuntimeException e) {
        ctx.getLog().error("cannot resume the recorded job: {}", e.getMessage());
      }
      if (running.isPresent()) {
        RunningJob r = running.get();
        ActorRef<JobEvent> replyTo = ActorRefResolver.get(ctx.getSystem()).resolveActorRef(r.getReplyTo());
        ctx.getLog().info("job master took over: resuming job {} (attempt {})", r.getSpec().getJobId(), r.getAttempt() + 1);
        return start(ctx, settings, new SubmitJob(r.getSpec(), r.getMinNodes(), replyTo), r.getAttempt() + 1, store,
            queue);
      }
      return idle(ctx, settings, store, queue);
    });
  }

  private static Behavior<Command> idle(ActorContext<Command> ctx, ClusterSettings settings, JobStore store,
      Deque<SubmitJob> queue) {
    if (!queue.isEmpty()) {
      return start(ctx, settings, queue.poll(), 0, store, queue);
    }
    return Behaviors.receive(Command.class)
        .onMessage(SubmitJob.class, m -> start(ctx, settings, m, 0, store, queue))
        .onMessage(RunEnded.class, m -> Behaviors.same())
        .onMessage(CancelJob.class, m -> Behaviors.same())
        .onMessage(CheckpointJob.class, m -> Behaviors.same())
        .onMessage(DrainNode.class, m -> {
          ctx.getLog().info("draining node {}: no job running; it leaves the cluster", m.node());
          Cluster.get(ctx.getSystem()).manager().tell(Leave.create(AddressFromURIString.parse(m.node())));
          return Behaviors.same();
        })
        .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
        .build();
  }

  /** Runs {@code m}; {@code attempt} > 0 resumes a job another job master ran (from its last checkpoint). */
  private static Behavior<Command> start(ActorContext<Command> ctx, ClusterSettings settings, SubmitJob m,
      int attempt, JobStore store, Deque<SubmitJob> queue) {
    String jobId = m.spec().getJobId();
    ActorRef<JobRun.Command> run = ctx.spawn(JobRun.create(m.spec(), m.minNodes(), m.replyTo(), settings, attempt,
            store, ctx.getSelf()), "job-" + jobId.replaceAll("[^A-Za-z0-9_-]", "-"));
    ctx.watchWith(run, new RunEnded(jobId));
    return running(ctx, settings, jobId, run, store, queue);
  }

  private static Behavior<Command> running(ActorContext<Command> ctx, ClusterSettings settings, String jobId,
      ActorRef<JobRun.Command> run, JobStore store, Deque<SubmitJob> queue) {
    return Behaviors.receive(Command.class)
        .onMessage(SubmitJob.class, m -> {
          boolean duplicate = m.spec().getJobId().equals(jobId)
              || queue.stream().anyMatch(q -> q.spec().getJobId().equals(m.spec().getJobId()));
          if (duplicate) {
            m.replyTo().tell(new JobEvent.JobFailed("a job '" + m.spec().getJobId() + "' is already running or queued"));
          } else {
            ctx.getLog().info("job {} queued behind {} ({} waiting)", m.spec().getJobId(), jobId, queue.size() + 1);
            queue.add(m);
          }
          return Behaviors.same();
        })
        .onMessage(RunEnded.class, m -> m.jobId().equals(jobId) ? idle(ctx, settings, store, queue) : Behaviors.same())
        .onMessage(CancelJob.class, m -> {
          if (m.jobId().equals(jobId)) {
            run.tell(new JobRun.Cancel(m.reason()));
          } else {
            queue.removeIf(q -> {
              if (q.spec().getJobId().equals(m.jobId())) {
                q.replyTo().tell(new JobEvent.JobCancelled(0, m.reason()));
                return true;
              }
              return false;
            });
          }
          return Behaviors.same();
        })
        .onMessage(DrainNode.class, m -> {
          run.tell(new JobRun.Drain(m.node()));
          return Behaviors.same();
        })
        .onMessage(CheckpointJob.class, m -> {
          if (m.jobId().equals(jobId)) {
            run.tell(JobRun.CheckpointNow.INSTANCE);
          } else {
            queue.stream().filter(q -> q.spec().getJobId().equals(m.jobId())).forEach(q -> q.replyTo().tell(
                new JobEvent.Progress("checkpoint-skipped", "checkpoint on request not taken: job " + m.jobId()
                    + " is queued behind " + jobId)));
          }
          return Behaviors.same();
        })
        .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
        .build();
  }
}
