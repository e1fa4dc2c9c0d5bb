package io.tandem.actors.cluster;

import static io.tandem.actors.cluster.NodeMembershipTest.registration;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.actors.JobEvent;
import io.tandem.proto.JobSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;
import org.slf4j.helpers.NOPLogger;

/**
 * {@link JobRecovery} and {@link JobReporter} with hand-written fakes: {@link TestingJob} for the
 * actor, {@link TestingCheckpointLookup} for the store, {@link TestingReplanner} for the planner.
 */
class JobRecoveryTest {
  final List<JobEvent> events = new ArrayList<>();
  final JobReporter reporter = new JobReporter("job", events::add, NOPLogger.NOP_LOGGER, RecoveryPolicyTest.clock());
  final TestingJob job = new TestingJob();
  final TestingCheckpointLookup lookup = new TestingCheckpointLookup();

  /** Node agents are not needed here: a membership of three nodes without agents, one device each. */
  static NodeMembership<ActorRef<NodeAgent.Command>> threeNodes() {
    NodeMembership<ActorRef<NodeAgent.Command>> m = new NodeMembership<>();
    Map<String, ActorRef<NodeAgent.Command>> none = new java.util.TreeMap<>();
    m.assign(DevicePlacement.roundRobin(List.of("a", "b", "c"), 3));
    for (String n : List.of("a", "b", "c")) {
      m.memberStatus(n, true);
      m.described(registration(n, 1));
    }
    m.listed(none);
    return m;
  }

  JobRecovery recovery(JobSpec spec, NodeMembership<ActorRef<NodeAgent.Command>> m) {
    return new JobRecovery(spec, m, new RecoveryPolicy(spec, new TestingReplanner(spec)), lookup, reporter, job);
  }

  List<String> progress() {
    return events.stream().filter(e -> e instanceof JobEvent.Progress)
        .map(e -> ((JobEvent.Progress) e).kind() + ": " + ((JobEvent.Progress) e).message()).toList();
  }

  /** A recovery of a 3-node job, checkpointing every 2 steps in /ck, that lost node b and asked for the checkpoint. */
  JobRecovery recoveringFromTheLossOfB() {
    NodeMembership<ActorRef<NodeAgent.Command>> m = threeNodes();
    m.lost("b");
    JobRecovery recovery = recovery(RecoveryPolicyTest.spec(3, "/ck", 2), m);
    recovery.recover("node b lost");
    return recovery;
  }

  @Test
  void aLostNode_replans_looksUpTheCheckpoint_thenStartsTheNextAttemptFromIt() {
    JobRecovery recovery = recoveringFromTheLossOfB();
    assertTrue(recovery.waiting());
    assertEquals(List.of("/ck"), lookup.dirs);
    assertTrue(job.started.isEmpty(), "nothing starts before the checkpoint is known");
    lookup.lookups.get(0).complete(new CheckpointLookup.Found(4, List.of("step-6 is corrupt; falling back")));
    job.deliverLast(recovery);
    assertFalse(recovery.waiting());
    assertEquals(1, job.started.size());
    assertEquals(4, job.started.get(0).restoreStep());
    assertEquals(List.of("a", "c"), job.started.get(0).replan().nodes());
    assertEquals(2, progress().size());
    assertTrue(progress().get(0).startsWith("re-planned: re-planned to schedule 1f1b on 2 device(s) because testing"
        + " keeps 1f1b ("), progress().get(0));
    assertEquals("checkpoint-skipped: step-6 is corrupt; falling back", progress().get(1));
  }

  @Test
  void aCheckpointNoNodeCouldRestore_isPassedOverByEveryLaterLookup() {
    JobRecovery recovery = recoveringFromTheLossOfB();
    lookup.lookups.get(0).complete(new CheckpointLookup.Found(6, List.of()));
    job.deliverLast(recovery);
    assertEquals(6, job.started.get(0).restoreStep());
    // a node found a layer file of step-6 missing: the next attempt restores the checkpoint before it
    recovery.restoreOlder(6, job.started.get(0).replan(), "checkpoint step-6 could not be restored");
    assertEquals(java.util.Set.of(6L), lookup.skipped.get(1));
    lookup.lookups.get(1).complete(new CheckpointLookup.Found(4, List.of()));
    job.deliverLast(recovery);
    assertEquals(4, job.started.get(1).restoreStep());
    recovery.recover("node c lost later"); // and so does every later lookup
    assertEquals(java.util.Set.of(6L), lookup.skipped.get(2));
  }

  @Test
  void aLaterReplan_supersedesTheLookupInFlight() {
    JobSpec spec = RecoveryPolicyTest.spec(3, "/ck", 2);
    NodeMembership<ActorRef<NodeAgent.Command>> m = threeNodes();
    m.lost("b");
    JobRecovery recovery = recovery(spec, m);
    recovery.recover("node b lost");
    TestingJob.Piped first = job.piped.get(0);
    m.lost("c");
    recovery.recover("node c lost");
    lookup.lookups.forEach(f -> f.complete(new CheckpointLookup.Found(2, List.of())));
    recovery.found(first.id(), first.lookup().toCompletableFuture().join(), null);
    assertTrue(job.started.isEmpty(), "the first lookup is stale");
    job.deliverLast(recovery);
    assertEquals(List.of("a"), job.started.get(0).replan().nodes());
  }

  @Test
  void withoutCheckpoints_restartsFromStepZero_andSaysWhy() {
    JobSpec spec = RecoveryPolicyTest.spec(3, "", 0);
    NodeMembership<ActorRef<NodeAgent.Command>> m = threeNodes();
    m.lost("a");
    JobRecovery recovery = recovery(spec, m);
    recovery.recover("node a lost");
    assertTrue(lookup.dirs.isEmpty(), "no directory to look in");
    job.deliverLast(recovery);
    assertEquals(-1, job.started.get(0).restoreStep());
    assertEquals("restart: no checkpoint to restore (checkpointing is off for this job): restarting from step 0",
        progress().get(1));
  }

  @Test
  void aSuspectDuringTheLookup_holdsTheRestart_untilItIsResolved() {
    JobSpec spec = RecoveryPolicyTest.spec(3, "/ck", 2);
    NodeMembership<ActorRef<NodeAgent.Command>> m = threeNodes();
    m.lost("b");
    JobRecovery recovery = recovery(spec, m);
    recovery.recover("node b lost");
    m.suspect("c");
    lookup.lookups.get(0).complete(new CheckpointLookup.Found(2, List.of()));
    job.deliverLast(recovery);
    assertTrue(job.started.isEmpty());
    assertFalse(recovery.waiting());
  }

  @Test
  void anUnreadableStore_failsTheJob() {
    JobSpec spec = RecoveryPolicyTest.spec(3, "/ck", 2);
    NodeMembership<ActorRef<NodeAgent.Command>> m = threeNodes();
    m.lost("b");
    JobRecovery recovery = recovery(spec, m);
    recovery.recover("node b lost");
    recovery.found(job.piped.get(0).id(), null, new java.io.UncheckedIOException(new java.io.IOException("denied")));
    assertEquals(1, job.failures.size());
    assertTrue(job.failures.get(0).startsWith("cannot look for a checkpoint of job job in /ck"), job.failures.get(0));
  }

  @Test
  void everyNodeLost_failsTheJob_withoutALookup() {
    JobSpec spec = RecoveryPolicyTest.spec(3, "/ck", 2);
    NodeMembership<ActorRef<NodeAgent.Command>> m = threeNodes();
    List.of("a", "b", "c").forEach(m::lost);
    assertEquals(Behaviors.stopped(), recovery(spec, m).recover("all lost"));
    assertEquals(List.of("every node of job job was lost (a, b, c)"), job.failures);
    assertTrue(lookup.dirs.isEmpty());
  }

  @Test
  void reporter_timesRecoveries_andReportsTheFirstStepAfterARestore() {
    assertEquals("", reporter.since(), "nothing detected yet");
    reporter.detected();
    assertEquals(" (+2 ms since detection)", reporter.since());
    assertEquals(0, reporter.nextStep());
    reporter.restored("restored step 4", 4);
    reporter.stepCompleted(new JobEvent.StepCompleted(4, 1.0, 1, new double[0], new long[0], 0, List.of()));
    reporter.stepCompleted(new JobEvent.StepCompleted(5, 1.0, 1, new double[0], new long[0], 0, List.of()));
    assertEquals(6, reporter.nextStep());
    assertEquals(List.of("restored: restored step 4 (+4 ms since detection)",
        "resumed: step 5 done, the first after restoring step 4 (+6 ms since detection)"), progress());
    assertEquals(4, events.size(), "two progress events and both steps");
  }
}
