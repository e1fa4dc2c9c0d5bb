package io.tandem.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.actors.JobConfig;
import io.tandem.actors.JobEvent;
import io.tandem.actors.JobFactory;
import io.tandem.actors.LocalRuntime;
import io.tandem.schedule.Schedule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The Java API end to end against an embedded runtime. */
@Timeout(180)
class TandemLocalTest {
  static TandemClient tandem;

  @BeforeAll
  static void start() {
    tandem = Tandem.local(LocalOptions.defaults());
  }

  @AfterAll
  static void stop() {
    if (tandem != null) {
      tandem.close();
    }
  }

  /** The same spec on the bare coordinator harness ({@code LocalRuntime}: no job master, no node agent). */
  static String trainReference(JobSpec spec) {
    io.tandem.proto.JobSpec proto = spec.toProto("reference");
    Schedule schedule = JobFactory.schedule(proto);
    JobEvent end = LocalRuntime.run(new JobConfig("reference", schedule, proto.getSteps(), proto.getClipNorm(),
        Duration.ofSeconds(60)), JobFactory.provider(proto, schedule), e -> { });
    return assertInstanceOf(JobEvent.JobSucceeded.class, end, end.toString()).weightsSha256();
  }

  @Test
  void submit_reportsEveryStepAndSucceedsWithTheWeightsOfTandemTrain() throws Exception {
    JobSpec spec = JobSpec.builder().model("gpt-tiny").schedule("zb-h1").devices(2).microbatches(4)
        .microbatchSize(1).steps(3).seed(5).build();
    List<StepProgress> steps = new CopyOnWriteArrayList<>();
    JobHandle job = tandem.submit(spec).onStep(steps::add);

    JobResult result = job.await(Duration.ofSeconds(150));

    assertEquals(JobStatus.SUCCEEDED, result.status(), result.message());
    assertEquals(3, result.stepsCompleted());
    assertEquals(List.of(0L, 1L, 2L), steps.stream().map(StepProgress::step).toList());
    assertTrue(steps.stream().allMatch(s -> s.tokensPerSecond() > 0 && s.peakActivationBytes().size() == 2));
    assertEquals(steps.get(2).loss(), result.finalLoss(), 0.0);
    assertEquals(trainReference(spec), result.weightsSha256(), "API run vs the bare coordinator");
    JobMetrics m = job.metrics();
    assertEquals(JobStatus.SUCCEEDED, m.status());
    assertEquals("zb-h1", m.schedule());
    assertEquals(2, m.deviceNodes().size());
    assertEquals(tandem.address(), m.deviceNodes().get(0));
  }

  @Test
  void cancel_stopsARunningJob() throws Exception {
    JobSpec spec = JobSpec.builder().backend("sim").opMillis(5).schedule("1f1b").devices(2).microbatches(4)
        .steps(100_000).build();
    CountDownLatch running = new CountDownLatch(2);
    JobHandle job = tandem.submit(spec).onStep(s -> running.countDown());
    assertTrue(running.await(60, TimeUnit.SECONDS), "two steps ran");
    assertEquals(JobStatus.RUNNING, job.status());

    job.cancel();
    JobResult result = job.await(Duration.ofSeconds(30));

    assertEquals(JobStatus.CANCELLED, result.status());
    assertTrue(result.stepsCompleted() >= 2 && result.stepsCompleted() < 100_000, result.toString());
    assertTrue(result.message().contains("cancelled"), result.message());
    assertFalse(result.weights().isPresent());
    // the cluster is free again: the next job runs
    JobResult next = tandem.submit(JobSpec.builder().backend("sim").opMillis(0).devices(2).microbatches(2)
        .steps(2).build()).await(Duration.ofSeconds(60));
    assertEquals(JobStatus.SUCCEEDED, next.status(), next.message());
  }

  @Test
  void checkpointNow_commitsACheckpointAtTheNextStepBoundary(@TempDir Path dir) throws Exception {
    JobSpec spec = JobSpec.builder().devices(2).microbatches(4).microbatchSize(1).steps(10_000)
        .checkpointing(dir, 0).build();
    CountDownLatch running = new CountDownLatch(1);
    JobHandle job = tandem.submit(spec).onStep(s -> running.countDown());
    assertTrue(running.await(60, TimeUnit.SECONDS));

    long step = job.checkpointNow().toCompletableFuture().get(60, TimeUnit.SECONDS);

    assertTrue(step >= 2, "checkpoint after a step boundary that follows the request: " + step);
    assertTrue(Files.isRegularFile(dir.resolve("step-" + step).resolve("manifest.pb")), "manifest of step-" + step);
    job.cancel();
    assertEquals(JobStatus.CANCELLED, job.await(Duration.ofSeconds(30)).status());
  }

  @Test
  void theResultNamesTheFinalCheckpoint_andModelLoadRunsIt(@TempDir Path dir) throws Exception {
    JobSpec spec = JobSpec.builder().model("gpt-tiny").devices(2).microbatches(4).microbatchSize(1).steps(2).seed(3)
        .checkpointing(dir, 0).build();
    JobResult result = tandem.submit(spec).await(Duration.ofSeconds(120));
    assertEquals(JobStatus.SUCCEEDED, result.status(), result.message());
    assertEquals(dir.resolve("step-2"), result.checkpoint().orElseThrow());
    try (Model model = Model.load(result.checkpoint().orElseThrow())) {
      assertEquals(result.weightsSha256(), model.weightsSha256());
      assertEquals(2, model.step());
      assertEquals(3 * 256, model.logits(new int[] {72, 105, 32}).length);
      String text = model.generate("Hi ", 8, 1, 0.8, 5);
      assertTrue(text.startsWith("Hi "), text);
      assertEquals(text, model.generate("Hi ", 8, 1, 0.8, 5));
    }
    assertThrows(IllegalArgumentException.class, () -> Model.load(dir.resolve("missing")));
  }

  @Test
  void checkpointNow_withoutACheckpointDirectory_failsNamingIt() throws Exception {
    JobSpec spec = JobSpec.builder().backend("sim").opMillis(5).devices(2).microbatches(4).steps(100_000).build();
    CountDownLatch running = new CountDownLatch(1);
    JobHandle job = tandem.submit(spec).onStep(s -> running.countDown());
    assertTrue(running.await(60, TimeUnit.SECONDS));
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> job.checkpointNow().toCompletableFuture().get(60, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().contains("checkpointDir"), e.getCause().getMessage());
    job.cancel();
    assertEquals(JobStatus.CANCELLED, job.await(Duration.ofSeconds(30)).status());
  }

  @Test
  void jobs_listsWhatThisClientSubmitted() throws Exception {
    JobHandle job = tandem.submit(JobSpec.builder().jobId("listed-1").backend("sim").opMillis(0).devices(2)
        .microbatches(2).steps(1).build());
    job.await(Duration.ofSeconds(60));
    assertEquals(job, tandem.job("listed-1").orElseThrow());
    assertTrue(tandem.jobs().contains(job));
  }
}
