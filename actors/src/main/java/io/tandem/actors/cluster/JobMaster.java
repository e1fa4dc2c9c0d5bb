package io.tandem.actors.cluster;

import io.tandem.actors.JobEvent;
import io.tandem.proto.JobSpec;
import io.tandem.proto.RunningJob;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The cluster's coordinator: a Cluster Singleton on the {@code coordinator} role. It takes one
 * job at a time and runs it in a {@link JobRun} child, which streams the job's events back to
 * the submitter. With a job store ({@code tandem.cluster.job-store}) it records the running job,
 * and a job master that takes over (the singleton moved because its node died) resumes it from
 * its last checkpoint, still reporting to the same submitter.
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

  /** Stop message of the singleton (hand-over): fails the running job. */
  public enum Stop implements Command { INSTANCE }

  /** The run of {@code jobId} ended (sent by the run before it tells the submitter, and on its stop). */
  record RunEnded(String jobId) implements Command {}

  public static Behavior<Command> create(ClusterSettings settings) {
    return Behaviors.setup(ctx -> {
      JobStore store = settings.jobStore().isBlank() ? null : new JobStore(java.nio.file.Path.of(settings.jobStore()));
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
        return start(ctx, settings, new SubmitJob(r.getSpec(), r.getMinNodes(), replyTo), r.getAttempt() + 1, store);
      }
      return idle(ctx, settings, store);
    });
  }

  private static Behavior<Command> idle(ActorContext<Command> ctx, ClusterSettings settings, JobStore store) {
    return Behaviors.receive(Command.class)
        .onMessage(SubmitJob.class, m -> start(ctx, settings, m, 0, store))
        .onMessage(RunEnded.class, m -> Behaviors.same())
        .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
        .build();
  }

  /** Runs {@code m}; {@code attempt} > 0 resumes a job another job master ran (from its last checkpoint). */
  private static Behavior<Command> start(ActorContext<Command> ctx, ClusterSettings settings, SubmitJob m,
      int attempt, JobStore store) {
    String jobId = m.spec().getJobId();
    ActorRef<JobRun.Command> run = ctx.spawn(JobRun.create(m.spec(), m.minNodes(), m.replyTo(), settings, attempt,
            store, ctx.getSelf()), "job-" + jobId.replaceAll("[^A-Za-z0-9_-]", "-"));
    ctx.watchWith(run, new RunEnded(jobId));
    return running(ctx, settings, jobId, store);
  }

  private static Behavior<Command> running(ActorContext<Command> ctx, ClusterSettings settings, String jobId,
      JobStore store) {
    return Behaviors.receive(Command.class)
        .onMessage(SubmitJob.class, m -> {
          m.replyTo().tell(new JobEvent.JobFailed("the cluster is running job '" + jobId
              + "'; submit '" + m.spec().getJobId() + "' when it has ended"));
          return Behaviors.same();
        })
        .onMessage(RunEnded.class, m -> m.jobId().equals(jobId) ? idle(ctx, settings, store) : Behaviors.same())
        .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
        .build();
  }
}
