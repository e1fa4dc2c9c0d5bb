package io.tandem.actors.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.actors.JobConfig;
import io.tandem.actors.JobEvent;
import io.tandem.actors.worker.StageWorker;
import io.tandem.schedule.Schedule;
import io.tandem.schedule.ScheduleRegistry;
import io.tandem.schedule.ScheduleSpec;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A control message that never arrives (a worker that stops answering, a reply the transport
 * dropped as too large) fails the step within the step timeout, naming the step, the phase and
 * the devices that did not answer.
 */
class CoordinatorTimeoutTest {
  private static final Duration STEP_TIMEOUT = Duration.ofMillis(600);
  static ActorTestKit kit;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create("coordinator-timeout-test");
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static Schedule twoDevices() {
    return ScheduleRegistry.generate("1f1b", ScheduleSpec.of(2, 2));
  }

  @Test
  void workersThatNeverReport_failTheStepInComputeNamingBothDevices() {
    TestProbe<StageWorker.Command> w0 = kit.createTestProbe();
    TestProbe<StageWorker.Command> w1 = kit.createTestProbe();
    TestProbe<JobEvent> listener = kit.createTestProbe();
    kit.spawn(Coordinator.forWorkers(new JobConfig("silent", twoDevices(), 3, 1.0, STEP_TIMEOUT),
        List.of(w0.getRef(), w1.getRef()), listener.getRef()));
    w0.expectMessageClass(StageWorker.Peers.class);
    w0.expectMessageClass(StageWorker.LoadProgram.class);
    w0.expectMessageClass(StageWorker.StartStep.class);
    long start = System.nanoTime();
    JobEvent.JobFailed failed = listener.expectMessageClass(JobEvent.JobFailed.class, Duration.ofSeconds(5));
    assertTrue(System.nanoTime() - start < Duration.ofSeconds(3).toNanos(), "not bounded by the step timeout");
    assertEquals("step 0 timed out after 600 ms in phase compute; devices without a step report: 0, 1",
        failed.message());
  }

  @Test
  void weightsThatNeverArriveFromOneDevice_failInPhaseWeightsNamingThatDevice() {
    TestProbe<StageWorker.Command> w0 = kit.createTestProbe();
    TestProbe<StageWorker.Command> w1 = kit.createTestProbe();
    TestProbe<JobEvent> listener = kit.createTestProbe();
    // starting at the last step: the coordinator goes straight to collecting the weights
    kit.spawn(Coordinator.forWorkers(new JobConfig("dropped-weights", twoDevices(), 2, 1.0, STEP_TIMEOUT, 2, null),
        List.of(w0.getRef(), w1.getRef()), listener.getRef()));
    w0.expectMessageClass(StageWorker.Peers.class);
    w0.expectMessageClass(StageWorker.LoadProgram.class);
    StageWorker.CollectWeights collect = w0.expectMessageClass(StageWorker.CollectWeights.class);
    TreeMap<Integer, byte[]> layers = new TreeMap<>();
    layers.put(0, new byte[] {1, 2, 3});
    collect.replyTo().tell(new StageWorker.WeightsReported(0, layers));
    // device 1's WeightsReported is lost (as Artery drops an oversized message)
    JobEvent.JobFailed failed = listener.expectMessageClass(JobEvent.JobFailed.class, Duration.ofSeconds(5));
    assertEquals("collecting the final weights timed out after 600 ms in phase weights; devices without their weights: 1", failed.message());
    listener.expectNoMessage(Duration.ofMillis(200));
    assertInstanceOf(StageWorker.CollectWeights.class, w1.receiveSeveralMessages(3).get(2));
  }
}
