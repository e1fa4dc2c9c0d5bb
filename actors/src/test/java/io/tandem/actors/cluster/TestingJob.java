package io.tandem.actors.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/** The job's actor as {@link JobRecovery} sees it, recording what it is asked to do. */
final class TestingJob implements JobRecovery.Job {
  /** A lookup piped back to the actor. */
  record Piped(int id, CompletionStage<CheckpointLookup.Found> lookup) {}

  /** An attempt started. */
  record Started(RecoveryPolicy.Replan replan, long restoreStep) {}

  final List<String> failures = new ArrayList<>();
  final List<Piped> piped = new ArrayList<>();
  final List<Started> started = new ArrayList<>();

  @Override
  public Behavior<JobRun.Command> fail(String message) {
    failures.add(message);
    return Behaviors.stopped();
  }

  @Override
  public Behavior<JobRun.Command> same() {
    return Behaviors.same();
  }

  @Override
  public void pipe(int id, CompletionStage<CheckpointLookup.Found> lookup) {
    piped.add(new Piped(id, lookup));
  }

  @Override
  public Behavior<JobRun.Command> startAttempt(RecoveryPolicy.Replan replan, long restoreStep) {
    started.add(new Started(replan, restoreStep));
    return same();
  }

  /** Delivers the last piped lookup's outcome, as the actor would once it completed. */
  Behavior<JobRun.Command> deliverLast(JobRecovery recovery) {
    Piped p = piped.get(piped.size() - 1);
    CheckpointLookup.Found found = p.lookup().toCompletableFuture().join();
    return recovery.found(p.id(), found, null);
  }
}
