package io.tandem.actors.cluster;

import io.tandem.actors.JobEvent;
import io.tandem.proto.JobSpec;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The cluster's coordinator: a Cluster Singleton on the {@code coordinator} role. It takes one
 * job at a time and runs it in a {@link JobRun} child, which streams the job's events back to
 * the submitter.
 */
public final class JobMaster {
  private JobMaster() {}

  /** Messages the job master accepts. */
  public sealed interface Command {}

  /**
   * Run {@code spec} once {@code minNodes} worker nodes are up; every {@link JobEvent} goes to
   * {@code replyTo}, the last being {@link JobEvent.JobSucceeded} or {@link JobEvent.JobFailed}.
   */
  public record SubmitJob(JobSpec spec, int minNodes, ActorRef<JobEvent> replyTo) implements Command {}

  /**
   * Cancel job {@code jobId} if it is the one running (or waiting for nodes); its submitter gets
   * {@link JobEvent.JobCancelled}. Unknown ids are ignored.
   */
  public record CancelJob(String jobId, String reason) implements Command {}

  /** Stop message of the singleton (hand-over): fails the running job. */
  public enum Stop implements Command { INSTANCE }

  private record RunEnded(String jobId) implements Command {}

  public static Behavior<Command> create(ClusterSettings settings) {
    return Behaviors.setup(ctx -> idle(ctx, settings));
  }

  private static Behavior<Command> idle(ActorContext<Command> ctx, ClusterSettings settings) {
    return Behaviors.receive(Command.class)
        .onMessage(SubmitJob.class, m -> start(ctx, settings, m))
        .onMessage(RunEnded.class, m -> Behaviors.same())
        .onMessage(CancelJob.class, m -> Behaviors.same())
        .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
        .build();
  }

  private static Behavior<Command> start(ActorContext<Command> ctx, ClusterSettings settings, SubmitJob m) {
    String jobId = m.spec().getJobId();
    ActorRef<JobRun.Command> run = ctx.spawn(JobRun.create(m.spec(), m.minNodes(), m.replyTo(), settings),
        "job-" + jobId.replaceAll("[^A-Za-z0-9_-]", "-"));
    ctx.watchWith(run, new RunEnded(jobId));
    return running(ctx, settings, jobId, run);
  }

  private static Behavior<Command> running(ActorContext<Command> ctx, ClusterSettings settings, String jobId,
      ActorRef<JobRun.Command> run) {
    return Behaviors.receive(Command.class)
        .onMessage(SubmitJob.class, m -> {
          m.replyTo().tell(new JobEvent.JobFailed("the cluster is running job '" + jobId
              + "'; submit '" + m.spec().getJobId() + "' when it has ended"));
          return Behaviors.same();
        })
        .onMessage(RunEnded.class, m -> m.jobId().equals(jobId) ? idle(ctx, settings) : Behaviors.same())
        .onMessage(CancelJob.class, m -> {
          if (m.jobId().equals(jobId)) {
            run.tell(new JobRun.Cancel(m.reason()));
          }
          return Behaviors.same();
        })
        .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
        .build();
  }
}
