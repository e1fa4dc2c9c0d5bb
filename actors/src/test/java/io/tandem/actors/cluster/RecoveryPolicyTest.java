package io.tandem.actors.cluster;

import static io.tandem.actors.cluster.NodeMembershipTest.registration;
import static io.tandem.actors.cluster.NodeMembershipTest.running;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.proto.JobSpec;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@link RecoveryPolicy} on its own, with a {@link TestingReplanner} and a hand-made membership. */
class RecoveryPolicyTest {

  static JobSpec spec(int devices, String checkpointDir, int every) {
    return JobSpec.newBuilder().setJobId("job").setBackend("sim").setModel("gpt-tiny").setSchedule("1f1b")
        .setDevices(devices).setMicrobatches(8).setMicrobatchSize(1).setSteps(10).setSeed(1)
        .setCheckpointDir(checkpointDir).setCheckpointEvery(every).build();
  }

  /** A clock that advances 2 ms per reading. */
  static java.util.function.LongSupplier clock() {
    long[] t = {0};
    return () -> t[0] += 2_000_000;
  }

  @Test
  void aLostNode_replansOverTheSurvivors() {
    JobSpec spec = spec(4, "", 0);
    TestingReplanner replanner = new TestingReplanner(spec);
    NodeMembership<String> m = running("a", "b", "c", "d");
    m.lost("c");
    RecoveryPolicy.Replan r = assertInstanceOf(RecoveryPolicy.Replan.class,
        new RecoveryPolicy(spec, replanner, clock()).decide(m, "node c lost"));
    assertEquals(List.of("a", "b", "d"), r.nodes());
    assertEquals(List.of(), r.joiners());
    assertEquals(3, r.devices());
    assertEquals(List.of(new TestingReplanner.Call(3, "node c lost")), replanner.calls);
    assertEquals("re-planned to schedule 1f1b on 3 device(s) because testing keeps 1f1b (planned in 2 ms)", r.message());
    assertTrue(new RecoveryPolicy(spec, replanner).stillValid(r, m));
  }

  /**
   * A plan that leaves survivors idle says so, and the restore line counts every device of the
   * replicas (not one pipeline's): 3 replicas x 1 device on 5 survivors.
   */
  @Test
  void aPlanOnFewerDevicesThanTheSurvivors_namesBothCounts() {
    JobSpec three = spec(3, "", 0).toBuilder().setDataParallel(3).setMicrobatches(6).build();
    io.tandem.schedule.Schedule oneDevice = io.tandem.actors.JobFactory.schedule(three);
    RecoveryPolicy.Replan r = new RecoveryPolicy.Replan(List.of("a", "b", "c", "d", "e"), List.of(), 5,
        new io.tandem.actors.coordinator.RecoveryPlanner.Replan(three, oneDevice, "why"), 2);
    assertEquals("re-planned to schedule 1f1b on 3 device(s) of the 5 available because why (planned in 2 ms)", r.message());
    assertEquals("3 device(s) (3 data-parallel replicas x 1)", JobRun.devicesOf(three, oneDevice));
    assertEquals("4 device(s)", JobRun.devicesOf(spec(4, "", 0), io.tandem.actors.JobFactory.schedule(spec(4, "", 0))));
  }

  @Test
  void readyJoiners_areTakenIn_upToTheJobsDevices() {
    JobSpec spec = spec(4, "", 0);
    NodeMembership<String> m = running("b", "c");
    m.lost("c");
    m.memberStatus("a", true);
    m.memberStatus("d", true);
    m.memberStatus("e", true);
    m.listed(Map.of("b", "agent-b", "a", "agent-a", "d", "agent-d", "e", "agent-e"));
    m.newJoiners();
    m.described(registration("a", 2));
    m.described(registration("d", 2));
    m.described(registration("e", 1));
    RecoveryPolicy.Replan r = assertInstanceOf(RecoveryPolicy.Replan.class,
        new RecoveryPolicy(spec, new TestingReplanner(spec)).decide(m, "joined"));
    assertEquals(List.of("a", "b", "d"), r.nodes(), "b (1 device) + a (2) + d (2): enough, e is not needed");
    assertEquals(List.of("a", "d"), r.joiners());
    assertEquals(4, r.devices(), "never more than the job asked for");
  }

  @Test
  void everyNodeLost_givesUp_namingThem() {
    JobSpec spec = spec(2, "", 0);
    NodeMembership<String> m = running("a", "b");
    m.lost("b");
    m.lost("a");
    TestingReplanner replanner = new TestingReplanner(spec);
    RecoveryPolicy.GiveUp g = assertInstanceOf(RecoveryPolicy.GiveUp.class,
        new RecoveryPolicy(spec, replanner).decide(m, "lost"));
    assertEquals("every node of job job was lost (b, a)", g.message());
    assertTrue(replanner.calls.isEmpty());
  }

  @Test
  void aFailingReplan_givesUp_withThePlannersReason() {
    JobSpec spec = spec(2, "", 0);
    NodeMembership<String> m = running("a", "b");
    m.lost("a");
    RecoveryPolicy.GiveUp g = assertInstanceOf(RecoveryPolicy.GiveUp.class,
        new RecoveryPolicy(spec, new TestingReplanner(spec).failing("nothing fits 1 device")).decide(m, "lost"));
    assertEquals("re-planning job job over 1 device(s) failed: nothing fits 1 device", g.message());
  }

  @Test
  void survivorsThatCannotHoldTheJob_waitForNodes_namingWhy() {
    JobSpec spec = spec(2, "", 0);
    NodeMembership<String> m = running("a", "b");
    m.lost("a");
    RecoveryPolicy.WaitForNodes w = assertInstanceOf(RecoveryPolicy.WaitForNodes.class,
        new RecoveryPolicy(spec, (devices, why) -> {
          throw new io.tandem.actors.coordinator.RecoveryPlanner.NothingFits("nothing fits " + devices
              + " device(s) under the 1.0 MiB per-device budget: needs 1.5 MiB");
        }).decide(m, "lost"));
    assertEquals("nothing fits 1 device(s) under the 1.0 MiB per-device budget: needs 1.5 MiB", w.message());
  }

  @Test
  void aDecision_isStale_onceOneOfItsNodesIsLost_aJoinerLeft_orANodeIsSuspect() {
    JobSpec spec = spec(3, "", 0);
    RecoveryPolicy policy = new RecoveryPolicy(spec, new TestingReplanner(spec));
    NodeMembership<String> m = running("a", "b", "c");
    m.lost("c");
    m.memberStatus("d", true);
    m.listed(Map.of("a", "agent-a", "b", "agent-b", "d", "agent-d"));
    m.newJoiners();
    m.described(registration("d", 1));
    RecoveryPolicy.Replan r = (RecoveryPolicy.Replan) policy.decide(m, "c lost");
    assertEquals(List.of("a", "b", "d"), r.nodes());
    m.suspect("a");
    assertFalse(policy.stillValid(r, m), "a suspect is resolved first");
    m.clearSuspect("a");
    assertTrue(policy.stillValid(r, m));
    m.joinerGone("d");
    assertFalse(policy.stillValid(r, m), "the joiner left");
    NodeMembership<String> m2 = running("a", "b", "c");
    m2.lost("c");
    RecoveryPolicy.Replan r2 = (RecoveryPolicy.Replan) policy.decide(m2, "c lost");
    m2.lost("b");
    assertFalse(policy.stillValid(r2, m2), "b was lost meanwhile");
  }

  @Test
  void restartReasons_sayWhyTrainingStartsAtStepZero() {
    assertEquals(Optional.empty(), new RecoveryPolicy(spec(2, "/ck", 5), null).restartReason(10, false));
    assertEquals(Optional.of("no checkpoint yet in /ck (the first is due after step 5): restarting from step 0"),
        new RecoveryPolicy(spec(2, "/ck", 5), null).restartReason(-1, false));
    assertEquals(Optional.of("no checkpoint to restore (checkpointing is off for this job): restarting from step 0"),
        new RecoveryPolicy(spec(2, "", 0), null).restartReason(-1, false));
    assertEquals(Optional.of("no checkpoint to restore (checkpointing is off for this job): restarting from step 0"),
        new RecoveryPolicy(spec(2, "/ck", 0), null).restartReason(-1, false), "checkpoints on request only");
    assertEquals(Optional.of("no checkpoint to resume job job from: restarting from step 0"),
        new RecoveryPolicy(spec(2, "/ck", 5), null).restartReason(-1, true));
    assertTrue(new RecoveryPolicy(spec(2, "/ck", 0), null).looksForCheckpoints());
    assertFalse(new RecoveryPolicy(spec(2, "", 0), null).looksForCheckpoints());
  }
}
