package io.tandem.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.actors.cluster.ClusterNode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A client member joining a running cluster: events and cancel cross Artery. */
@Timeout(120)
class TandemConnectTest {

  @Test
  void connect_submitsFollowsAndCancelsOnAClusterElsewhere() throws Exception {
    try (ClusterNode cluster = ClusterNode.start("127.0.0.1", 0, List.of(), List.of("coordinator", "worker"), 2);
        TandemClient client = Tandem.connect(ConnectOptions.of("127.0.0.1:" + cluster.port()))) {
      JobResult ok = client.submit(JobSpec.builder().backend("sim").opMillis(1).devices(2).microbatches(4).steps(3)
          .build()).await(Duration.ofSeconds(90));
      assertEquals(JobStatus.SUCCEEDED, ok.status(), ok.message());
      assertEquals(3, ok.stepsCompleted());

      CountDownLatch started = new CountDownLatch(1);
      JobHandle running = client.submit(JobSpec.builder().backend("sim").opMillis(5).devices(2).microbatches(4)
          .steps(100_000).build()).onStep(s -> started.countDown());
      assertTrue(started.await(60, TimeUnit.SECONDS));
      assertEquals(List.of(cluster.address().toString(), cluster.address().toString()),
          running.metrics().deviceNodes());
      running.cancel();
      assertEquals(JobStatus.CANCELLED, running.await(Duration.ofSeconds(30)).status());
    }
  }
}
