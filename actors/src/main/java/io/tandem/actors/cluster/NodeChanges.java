package io.tandem.actors.cluster;

import io.tandem.actors.JobEvent;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.ClusterEvent;

/**
 * How a running job reacts to its nodes changing (DESIGN.md "Failure"): a node unreachable
 * (abort the step, wait for the split brain resolver), reachable again or downed (re-plan once
 * no node is suspect), leaving gracefully or drained (checkpoint first when steps run, then
 * re-plan without it), joined (taken in at the next checkpoint). Updates the job's
 * {@link NodeMembership}, reports each stage through the {@link JobReporter} and acts through
 * {@link Job} (the job's actor; a fake in tests).
 */
final class NodeChanges {

  /** What node changes may do to the job. */
  interface Job {
    JobRun.Phase phase();

    /** Whether the job writes checkpoints. */
    boolean checkpointing();

    /** Whether steps are being driven (a coordinator runs). */
    boolean stepsRunning();

    /** Checkpoint at the end of the step in flight, then start no further step. */
    void checkpointAndPause();

    /** Stops the attempt (dropping the step in flight); the job is recovering. */
    void abortAndRecover();

    /**
     * Data parallelism: asks an intact replica to finish the step in flight without lost node
     * {@code node}'s workers; true when asked (the job re-plans once that step is done).
     */
    boolean reroute(String node);

    /** Re-plans over the nodes left and restores (see {@link RecoveryPolicy}). */
    Behavior<JobRun.Command> recover(String why);

    /** A chosen node failed before the job started: choose the nodes again. */
    Behavior<JobRun.Command> chooseAgain(String node);

    /** The cluster changed while waiting for nodes: look again. */
    Behavior<JobRun.Command> reconsiderNodes();

    /** No change of behavior. */
    Behavior<JobRun.Command> same();

    /** Asks {@code node} to leave the cluster. */
    void leaveCluster(String node);

    /** Probes whether {@code node}'s process is gone ({@link CrashProbe}); downs it at once if so. */
    void confirmCrash(String node);
  }

  private final String jobId;
  private final NodeMembership<ActorRef<NodeAgent.Command>> members;
  private final JobReporter reporter;
  private final Job job;

  NodeChanges(String jobId, NodeMembership<ActorRef<NodeAgent.Command>> members, JobReporter reporter, Job job) {
    this.jobId = jobId;
    this.members = members;
    this.reporter = reporter;
    this.job = job;
  }

  /** Whether {@code node} runs a device of the job (while describing: whether it was chosen). */
  boolean inJob(String node) {
    return members.inJob(node, job.phase() == JobRun.Phase.DESCRIBE);
  }

  Behavior<JobRun.Command> reachability(ClusterEvent.ReachabilityEvent e) {
    String node = e.member().address().toString();
    boolean unreachable = e instanceof ClusterEvent.UnreachableMember;
    members.reachability(node, !unreachable);
    JobRun.Phase phase = job.phase();
    if (phase == JobRun.Phase.WAIT_NODES) {
      return job.reconsiderNodes();
    }
    if (!inJob(node)) {
      return job.same();
    }
    if (unreachable) {
      if (phase == JobRun.Phase.DESCRIBE) {
        return job.chooseAgain(node);
      }
      if (members.suspect(node)) {
        if (phase == JobRun.Phase.RUN || phase == JobRun.Phase.SPAWN || phase == JobRun.Phase.SUSPECT) {
          reporter.detected();
          reporter.emit("failure-detected", "node " + node + " unreachable (failure detector) during step "
              + reporter.nextStep() + "; step aborted, probing whether its process is gone");
          job.abortAndRecover();
        }
        job.confirmCrash(node); // also while recovering: a second crashed node is downed without waiting
      }
    } else if (e instanceof ClusterEvent.ReachableMember && members.clearSuspect(node)) {
      reporter.emit("reachable", "node " + node + " reachable again" + reporter.since());
      if (phase == JobRun.Phase.RECOVERING && members.noSuspects()) {
        return job.recover("node " + node + " was unreachable for a while");
      }
    }
    return job.same();
  }

  Behavior<JobRun.Command> member(ClusterEvent.MemberEvent e) {
    String node = e.member().address().toString();
    if (e instanceof ClusterEvent.MemberUp || e instanceof ClusterEvent.MemberWeaklyUp) {
      members.memberStatus(node, true);
    } else if (!(e instanceof ClusterEvent.MemberJoined)) {
      members.memberStatus(node, false);
    }
    if (job.phase() == JobRun.Phase.WAIT_NODES) {
      return job.reconsiderNodes();
    }
    boolean downed = e instanceof ClusterEvent.MemberDowned || e instanceof ClusterEvent.MemberRemoved;
    if (!(downed || e instanceof ClusterEvent.MemberExited || e instanceof ClusterEvent.MemberLeft)) {
      return job.same();
    }
    members.joinerGone(node);
    if (!inJob(node)) {
      return job.same();
    }
    members.lost(node);
    boolean wasSuspect = members.clearSuspect(node);
    if (job.phase() == JobRun.Phase.DESCRIBE) {
      return job.chooseAgain(node);
    }
    boolean probed = members.wasConfirmedGone(node);
    if (!wasSuspect && !probed) {
      reporter.detected();
    }
    String how = !downed ? "left the cluster" : members.wasConfirmedGone(node) ? "downed (its process was gone)"
        : "downed by the split brain resolver";
    reporter.emit("downed", "node " + node + " " + how
        + (wasSuspect || probed ? reporter.since() : ""));
    if (downed && job.phase() == JobRun.Phase.RUN && job.reroute(node)) {
      return job.same(); // the step in flight completes first; the job re-plans after it
    }
    if (job.phase() != JobRun.Phase.RECOVERING) {
      job.abortAndRecover();
    }
    return members.noSuspects() ? job.recover("node " + node + " lost") : job.same();
  }

  /** {@code node} is shutting down gracefully while it runs workers of attempt {@code attemptId}. */
  Behavior<JobRun.Command> leaving(String node, String attemptId, String currentAttemptId) {
    if (!attemptId.equals(currentAttemptId)) {
      // an earlier attempt's workers: nothing of this attempt runs there
      ActorRef<NodeAgent.Command> agent = members.chosen().get(node);
      if (agent != null) {
        agent.tell(new NodeAgent.ReleaseJob(attemptId));
      }
      return job.same();
    }
    if (!inJob(node) || !members.leaving(node)) {
      return job.same();
    }
    return moveOff("leaving", "node " + node + " is leaving gracefully: checkpointing at the end of step "
        + reporter.nextStep() + ", then re-planning without it", "node " + node + " is leaving gracefully"
        + (job.checkpointing() ? "" : " (the job has no checkpoints)") + "; re-planning without it");
  }

  /** The admin API drains {@code node}: move the job off it, then it leaves the cluster. */
  Behavior<JobRun.Command> drain(String node) {
    if (!inJob(node)) {
      reporter.emit("drained", "node " + node + " runs no device of job " + jobId + "; it leaves the cluster");
      job.leaveCluster(node);
      return job.same();
    }
    if (!members.leaving(node)) {
      return job.same();
    }
    members.drained(node);
    return moveOff("draining", "draining node " + node + ": checkpoint at the end of step " + reporter.nextStep()
        + ", then re-plan without it", "draining node " + node
        + (job.checkpointing() ? "" : " (the job has no checkpoints)") + "; re-planning without it");
  }

  /**
   * A progress event of the running attempt: after a checkpoint (or a skipped one) the leaving
   * nodes go; after a checkpoint, described joiners are taken in while the job runs on fewer
   * devices ({@code devicesNow}) than it asked for ({@code devicesWanted}).
   */
  Behavior<JobRun.Command> progress(JobEvent.Progress p, int devicesNow, int devicesWanted) {
    if (job.phase() != JobRun.Phase.RUN) {
      return job.same();
    }
    if (members.anyLeaving() && (p.kind().equals("checkpoint") || p.kind().equals("checkpoint-skipped"))) {
      return withoutLeaving();
    }
    if (p.kind().equals("checkpoint") && !members.readyJoiners().isEmpty() && devicesNow < devicesWanted) {
      List<String> ready = members.readyJoiners();
      reporter.detected();
      reporter.emit("joined", "node(s) " + String.join(", ", ready) + " joined; taking them in at "
          + p.message().split(" ")[1]);
      job.abortAndRecover();
      return job.recover("node(s) " + String.join(", ", ready) + " joined");
    }
    return job.same();
  }

  /** Moves the job off the leaving nodes: after a checkpoint while steps run and the job checkpoints, else at once. */
  private Behavior<JobRun.Command> moveOff(String kind, String checkpointFirst, String rightAway) {
    reporter.detected();
    if (job.phase() == JobRun.Phase.RUN && job.stepsRunning() && job.checkpointing()) {
      reporter.emit(kind, checkpointFirst);
      job.checkpointAndPause();
      return job.same();
    }
    reporter.emit(kind, rightAway);
    return withoutLeaving();
  }

  /** Moves the job off the leaving nodes now: re-plans without them. */
  Behavior<JobRun.Command> withoutLeaving() {
    List<String> gone = members.leavingNodes();
    job.abortAndRecover(); // releases the leaving nodes too, so they can go
    members.leftGracefully(gone).forEach(job::leaveCluster);
    return job.recover("node(s) " + String.join(", ", gone) + " left gracefully");
  }
}
