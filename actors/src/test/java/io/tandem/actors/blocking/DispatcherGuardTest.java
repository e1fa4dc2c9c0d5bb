package io.tandem.actors.blocking;

import io.tandem.actors.coordinator.CheckpointPolicy;
import io.tandem.actors.JobConfig;
import io.tandem.actors.JobEvent;
import io.tandem.actors.JobFactory;
import io.tandem.actors.LocalRuntime;
import io.tandem.actors.coordinator.WeightsDigest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.actors.checkpoint.CheckpointStore;
import io.tandem.proto.JobSpec;
import io.tandem.schedule.Schedule;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link DispatcherGuard}: blocking helpers refuse to run on a dispatcher, and jobs never ask them to. */
class DispatcherGuardTest {
  static ActorTestKit kit;
  @TempDir static Path dir;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create("guard-test");
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  /** What an actor saw when it called a blocking helper itself. */
  record Seen(String thread, Throwable error) {}

  private Seen callFromActor(Runnable blocking) {
    TestProbe<Seen> probe = kit.createTestProbe();
    ActorRef<String> actor = kit.spawn(Behaviors.receive(String.class).onAnyMessage(m -> {
      Throwable error = null;
      try {
        blocking.run();
      } catch (Throwable t) {
        error = t;
      }
      probe.getRef().tell(new Seen(Thread.currentThread().getName(), error));
      return Behaviors.same();
    }).build());
    actor.tell("go");
    return probe.receiveMessage(Duration.ofSeconds(10));
  }

  @Test
  void checkpointWriteInsideAnActor_throws() {
    CheckpointStore store = new CheckpointStore(dir.resolve("inside"), 1);
    Seen seen = callFromActor(() -> store.writeLayer("job", 1, 0, new byte[8]));
    assertTrue(DispatcherGuard.isDispatcherThread(seen.thread()), seen.thread());
    IllegalStateException e = assertInstanceOf(IllegalStateException.class, seen.error());
    assertTrue(e.getMessage().contains("fsync") && e.getMessage().contains(seen.thread()), e.getMessage());
  }

  @Test
  void hashingAndCheckpointLookupInsideAnActor_throw() {
    TreeMap<Integer, byte[]> weights = new TreeMap<>();
    weights.put(0, new byte[] {1, 2, 3});
    assertInstanceOf(IllegalStateException.class, callFromActor(() -> WeightsDigest.combine(weights)).error());
    CheckpointStore store = new CheckpointStore(dir.resolve("lookup"), 1);
    assertInstanceOf(IllegalStateException.class, callFromActor(() -> store.latestValid(m -> { })).error());
  }

  @Test
  void theBlockingExecutorAndPlainThreads_mayBlock() throws Exception {
    DispatcherGuard.assertNotOnDispatcher("a test thread");
    CheckpointStore store = new CheckpointStore(dir.resolve("io"), 1);
    CompletableFuture<String> onIo = CompletableFuture.supplyAsync(() -> {
      store.writeLayer("job", 1, 0, new byte[8]);
      return Thread.currentThread().getName();
    }, BlockingExecutors.get(kit.system()).io());
    String thread = onIo.get(10, TimeUnit.SECONDS);
    assertTrue(thread.startsWith("tandem-io-"), thread);
    assertFalse(DispatcherGuard.isDispatcherThread(thread));
    assertTrue(DispatcherGuard.isDispatcherThread("tandem-abc-pekko.actor.default-dispatcher-7"));
    assertTrue(DispatcherGuard.isDispatcherThread("sys-pekko.actor.internal-dispatcher-2"));
    assertFalse(DispatcherGuard.isDispatcherThread("sys-pekko.actor.default-blocking-io-dispatcher-3"));
  }

  @Test
  void checkpointedLocalJob_runsWithTheGuardOn_sameWeights() {
    JobSpec spec = JobSpec.newBuilder().setJobId("guarded").setBackend("cpu").setModel("gpt-tiny").setSchedule("1f1b")
        .setDevices(2).setMicrobatches(2).setMicrobatchSize(1).setSteps(3).setSeed(5).setLearningRate(0.003)
        .setDataset("corpus").setOptimizer("adamw").build();
    Schedule schedule = JobFactory.schedule(spec);
    JobEvent plain = LocalRuntime.run(new JobConfig("plain", schedule, 3, 0, Duration.ofSeconds(60)),
        JobFactory.provider(spec, schedule), e -> { });
    List<JobEvent> events = new CopyOnWriteArrayList<>();
    CheckpointPolicy policy = new CheckpointPolicy(dir.resolve("job").toString(), 1, 2, "guarded", 5, null);
    JobEvent end = LocalRuntime.run(new JobConfig("guarded", schedule, 3, 0, Duration.ofSeconds(60), 0, policy),
        JobFactory.provider(spec, schedule), events::add);
    JobEvent.JobSucceeded ok = assertInstanceOf(JobEvent.JobSucceeded.class, end, events.toString());
    assertEquals(assertInstanceOf(JobEvent.JobSucceeded.class, plain).weightsSha256(), ok.weightsSha256());
    List<String> kinds = events.stream().filter(e -> e instanceof JobEvent.Progress)
        .map(e -> ((JobEvent.Progress) e).kind()).toList();
    assertEquals(List.of("checkpoint", "checkpoint", "checkpoint"), kinds, "every step, the last one too: " + events);
    assertEquals(List.of(3L, 2L), new CheckpointStore(dir.resolve("job"), 2).committedSteps());
  }
}
