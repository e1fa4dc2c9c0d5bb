package io.tandem.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.actors.cluster.ClusterNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client following a job through a recovery: a worker node is drained mid-job (the job
 * re-plans onto the other node from a checkpoint); the handle reports the recovery and the job
 * ends with the weights of an undisturbed run.
 */
@Timeout(240)
class TandemRecoveryTest {

  @Test
  void drainedNode_isReportedAsARecovery_andTheWeightsStayTheSame(@TempDir Path dir) throws Exception {
    List<ClusterNode> nodes = new ArrayList<>();
    try (ClusterNode coordinator = ClusterNode.start("127.0.0.1", 0, List.of(), List.of("coordinator"), 0)) {
      String seed = "127.0.0.1:" + coordinator.port();
      for (int i = 0; i < 2; i++) {
        nodes.add(ClusterNode.start("127.0.0.1", 0, List.of(seed), List.of("worker"), 1));
      }
      try (TandemClient client = Tandem.connect(ConnectOptions.of(seed).withMinWorkerNodes(2))) {
        JobSpec spec = JobSpec.builder().devices(2).microbatches(4).microbatchSize(1).steps(6).seed(9)
            .checkpointing(dir, 0).build();
        List<Recovery> recoveries = new CopyOnWriteArrayList<>();
        CountDownLatch twoSteps = new CountDownLatch(2);
        JobHandle job = client.submit(spec).onStep(s -> twoSteps.countDown()).onRecovery(recoveries::add);
        assertTrue(twoSteps.await(120, TimeUnit.SECONDS), "two steps ran");

        coordinator.drain(nodes.get(1).address());
        JobResult result = job.await(Duration.ofSeconds(180));

        assertEquals(JobStatus.SUCCEEDED, result.status(), result.message());
        assertEquals(1, recoveries.size(), recoveries.toString());
        Recovery r = recoveries.get(0);
        assertTrue(r.resumedFromStep() >= 2, r.toString());
        assertEquals(1, r.devices(), r.toString());
        assertEquals(1, job.metrics().recoveries());
        assertEquals(List.of(nodes.get(0).address().toString()), job.metrics().deviceNodes());
        assertEquals(TandemLocalTest.trainReference(spec), result.weightsSha256(), "drained run vs tandem train");
      }
    } finally {
      nodes.forEach(ClusterNode::close);
    }
  }
}
