package io.tandem.actors.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.actors.cluster.JobAdmission.Demand;
import io.tandem.actors.cluster.JobAdmission.Refuse;
import io.tandem.actors.cluster.JobAdmission.Start;
import io.tandem.actors.cluster.JobAdmission.Wait;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Refuse, wait or start a job from the cluster's nodes, free nodes and declared size. */
class JobAdmissionTest {
  private static final Map<String, Integer> TWO = Map.of("B", 1, "A", 1);

  private static Demand cpu(int devices, int minNodes) {
    return new Demand("j", "cpu", devices, minNodes);
  }

  @Test
  void aJobLargerThanTheDeclaredClusterIsRefusedWithTheReason() {
    var d = assertInstanceOf(Refuse.class, JobAdmission.decide(cpu(40, 40), TWO, Set.of("A", "B"), 2));
    assertTrue(d.reason().contains("needs 40 worker nodes (one per device)"), d.reason());
    assertTrue(d.reason().contains("has 2 up, 2 declared"), d.reason());
  }

  @Test
  void aJobWithinTheDeclaredSizeButLargerThanTheNodesUpWaitsForNodes() {
    var d = assertInstanceOf(Wait.class, JobAdmission.decide(cpu(4, 4), TWO, Set.of("A", "B"), 4));
    assertTrue(d.reason().startsWith("waiting for 4 devices, have 2"), d.reason());
    assertTrue(d.forNodes());
  }

  @Test
  void withoutADeclarationNothingIsRefused_theJobWaitsForNodes() {
    var d = assertInstanceOf(Wait.class, JobAdmission.decide(cpu(40, 40), TWO, Set.of("A", "B"), 0));
    assertTrue(d.forNodes());
  }

  @Test
  void moreNodesUpThanDeclaredCount() {
    Map<String, Integer> three = Map.of("A", 1, "B", 1, "C", 1);
    assertEquals(new Start(List.of("A", "B", "C")), JobAdmission.decide(cpu(3, 3), three, three.keySet(), 2));
  }

  @Test
  void aJobTakesTheFirstFreeNodesByAddress_atMostOnePerDevice() {
    Map<String, Integer> four = Map.of("D", 1, "C", 1, "B", 1, "A", 1);
    assertEquals(new Start(List.of("B", "D")), JobAdmission.decide(cpu(2, 2), four, Set.of("D", "B"), 4));
    assertEquals(new Start(List.of("A", "B")), JobAdmission.decide(cpu(4, 1), Map.of("A", 1, "B", 1),
        Set.of("A", "B"), 2));
  }

  @Test
  void nodesBusyInOtherJobsMakeAJobWaitForThem_notForJoins() {
    var d = assertInstanceOf(Wait.class, JobAdmission.decide(cpu(2, 2), TWO, Set.of("A"), 2));
    assertTrue(d.reason().startsWith("waiting for 2 devices, have 1"), d.reason());
    assertFalse(d.forNodes());
  }

  @Test
  void minNodesBelowDevicesSharesNodes() {
    var d = assertInstanceOf(Wait.class, JobAdmission.decide(cpu(4, 2), TWO, Set.of(), 2));
    assertTrue(d.reason().startsWith("waiting for 2 worker nodes (for 4 devices), have 0"), d.reason());
  }

  @Test
  void cudaJobsCountCudaDevices() {
    Map<String, Integer> gpus = Map.of("A", 2, "B", 2, "C", 0);
    Demand four = new Demand("g", "cuda", 4, 1);
    assertEquals(new Start(List.of("A", "B")), JobAdmission.decide(four, gpus, gpus.keySet(), 3));
    var wait = assertInstanceOf(Wait.class, JobAdmission.decide(four, gpus, Set.of("B", "C"), 3));
    assertTrue(wait.reason().startsWith("waiting for 4 cuda devices, have 2 free"), wait.reason());
    assertFalse(wait.forNodes());
    var refused = assertInstanceOf(Refuse.class, JobAdmission.decide(new Demand("g", "cuda", 8, 1), gpus,
        gpus.keySet(), 3));
    assertEquals("job needs 8 cuda devices; the cluster has 4 (node A: 2 cuda, node B: 2 cuda, node C: 0 cuda), 3 nodes"
        + " up, 3 declared (tandem.cluster.expected-workers): job g can never start", refused.reason());
    assertInstanceOf(Wait.class, JobAdmission.decide(new Demand("g", "cuda", 8, 1), gpus, gpus.keySet(), 4));
  }
}
