package io.tandem.actors.cluster;

import io.tandem.proto.JobSpec;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;

/**
 * Carries out a job's restarts: after a node change, re-plans ({@link RecoveryPolicy}), looks
 * for the newest valid checkpoint on the blocking executor ({@link CheckpointLookup}, the result
 * piped back to the job's actor) and then starts the next attempt from it; a resumed job (its
 * job master moved) restarts on its chosen nodes the same way. A restart superseded by a later
 * one, or whose nodes changed meanwhile, is dropped or decided again.
 */
final class JobRecovery {

  /** What a restart needs of the job's actor (a fake in tests). */
  interface Job {
    Behavior<JobRun.Command> fail(String message);

    Behavior<JobRun.Command> same();

    /** Delivers {@code lookup}'s outcome to {@link #found} as lookup {@code id}, on the actor's thread. */
    void pipe(int id, CompletionStage<CheckpointLookup.Found> lookup);

    /** Starts the next attempt from {@code restoreStep} (-1: step 0): re-planned, or ({@code replan} null) resumed. */
    Behavior<JobRun.Command> startAttempt(RecoveryPolicy.Replan replan, long restoreStep);

    /**
     * The newest in-memory peer snapshot the nodes of {@code replan} can restore (-1: none); one
     * at least as new as the disk checkpoint ({@code diskStep}, -1: none) is restored instead of it.
     */
    default long snapshotStep(RecoveryPolicy.Replan replan, long diskStep) {
      return -1;
    }
  }

  /** A restart waiting for its checkpoint lookup: a resume ({@code replan} null) or a re-plan. */
  private record Pending(int lookup, RecoveryPolicy.Replan replan, String why) {}

  private final JobSpec spec;
  private final NodeMembership<ActorRef<NodeAgent.Command>> members;
  private final RecoveryPolicy policy;
  private final CheckpointLookup checkpoints;
  private final JobReporter reporter;
  private final Job job;
  private Pending pending;
  private int lookups;
  /** Checkpoints a node could not restore (a layer file missing or corrupt on its node): never looked up again. */
  private final java.util.Set<Long> unusable = new java.util.TreeSet<>();
  /** The survivors could not hold the job: it waits for nodes to join. */
  private boolean pausedForNodes;

  JobRecovery(JobSpec spec, NodeMembership<ActorRef<NodeAgent.Command>> members, RecoveryPolicy policy,
      CheckpointLookup checkpoints, JobReporter reporter, Job job) {
    this.spec = spec;
    this.members = members;
    this.policy = policy;
    this.checkpoints = checkpoints;
    this.reporter = reporter;
    this.job = job;
  }

  /** Whether a restart waits for its checkpoint lookup. */
  boolean waiting() {
    return pending != null;
  }

  /** Drops the restart in progress (the nodes are chosen again). */
  void cancel() {
    pending = null;
  }

  /** Whether the job waits for nodes to join, the survivors being too few to hold it. */
  boolean pausedForNodes() {
    return pausedForNodes;
  }

  /** Re-plans over the nodes left; the next attempt starts once the checkpoint to restore is known. */
  Behavior<JobRun.Command> recover(String why) {
    pending = null;
    RecoveryPolicy.Decision decision = policy.decide(members, why);
    if (decision instanceof RecoveryPolicy.GiveUp g) {
      return job.fail(g.message());
    }
    if (decision instanceof RecoveryPolicy.WaitForNodes w) {
      if (!pausedForNodes) {
        reporter.emit("paused", "job " + spec.getJobId() + " paused: " + w.message()
            + "; it resumes from its last snapshot or checkpoint when more nodes join" + reporter.since());
      }
      pausedForNodes = true;
      return job.same();
    }
    pausedForNodes = false;
    RecoveryPolicy.Replan replan = (RecoveryPolicy.Replan) decision;
    reporter.emit("re-planned", replan.message() + reporter.since());
    lookUp(replan, why);
    return job.same();
  }

  /** A resumed job (attempt {@code firstAttempt}): drops the earlier attempts' workers, then restores. */
  void resume(int firstAttempt) {
    releaseEarlierAttempts(firstAttempt);
    reporter.detected();
    lookUp(null, null);
  }

  /**
   * A resumed job whose chosen nodes hold fewer devices than it ran on (some died with the job
   * master it was taken from): drops the earlier attempts' workers, then re-plans over the nodes
   * there ({@link #recover}), assigned by the caller.
   */
  Behavior<JobRun.Command> resumeOnFewer(int firstAttempt, String why) {
    releaseEarlierAttempts(firstAttempt);
    reporter.detected();
    return recover(why);
  }

  /**
   * Restoring the disk checkpoint of {@code step} failed on a node (a layer file missing or
   * corrupt, or the node holding it gone): the next attempt ({@code replan}, or null: on the
   * same nodes) restores the newest valid checkpoint before it, or starts from step 0.
   */
  void restoreOlder(long step, RecoveryPolicy.Replan replan, String why) {
    unusable.add(step);
    lookUp(replan, why);
  }

  private void releaseEarlierAttempts(int firstAttempt) {
    for (int a = 0; a < firstAttempt; a++) {
      String id = a == 0 ? spec.getJobId() : spec.getJobId() + "-r" + a;
      members.chosen().values().forEach(agent -> agent.tell(new NodeAgent.ReleaseJob(id)));
    }
  }

  private void lookUp(RecoveryPolicy.Replan replan, String why) {
    int id = ++lookups;
    pending = new Pending(id, replan, why);
    job.pipe(id, policy.looksForCheckpoints() ? checkpoints.latestValid(spec.getCheckpointDir(), unusable)
        : CompletableFuture.completedFuture(new CheckpointLookup.Found(-1, List.of())));
  }

  /** Lookup {@code id} is done ({@code error}: the checkpoint directory could not be read). */
  Behavior<JobRun.Command> found(int id, CheckpointLookup.Found found, Throwable error) {
    Pending p = pending;
    if (p == null || id != p.lookup()) {
      return job.same(); // superseded by a later re-plan, or the nodes were chosen again
    }
    pending = null;
    if (error != null) {
      Throwable c = error.getCause() != null ? error.getCause() : error;
      return job.fail("cannot look for a checkpoint of job " + spec.getJobId() + " in " + spec.getCheckpointDir()
          + ": " + c.getMessage());
    }
    found.skipped().forEach(m -> reporter.emit("checkpoint-skipped", m));
    if (p.replan() != null && !policy.stillValid(p.replan(), members)) {
      // a node was lost, or a suspect is still unresolved: decide again (once it is)
      return members.noSuspects() ? recover(p.why()) : job.same();
    }
    long inMemory = p.replan() == null ? -1 : job.snapshotStep(p.replan(), found.step());
    if (inMemory >= 0 && inMemory >= found.step()) { // as new as the disk's, and no file system read
      return job.startAttempt(p.replan(), inMemory);
    }
    policy.restartReason(found.step(), p.replan() == null).ifPresent(m -> reporter.emit("restart", m));
    return job.startAttempt(p.replan(), found.step());
  }
}
