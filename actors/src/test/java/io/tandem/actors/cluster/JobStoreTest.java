package io.tandem.actors.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.actors.JobEvent;
import io.tandem.actors.admin.JobRecord;
import io.tandem.proto.JobHistory;
import io.tandem.proto.JobSpec;
import io.tandem.proto.RunningJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One record per running job; ending one leaves the others to resume. Each job's history is
 * read back as written, bounded, and a corrupt one is reported, not thrown.
 */
class JobStoreTest {
  private static RunningJob job(String id, int attempt) {
    return RunningJob.newBuilder().setSpec(JobSpec.newBuilder().setJobId(id)).setMinNodes(2).setAttempt(attempt).build();
  }

  private static List<String> ids(JobStore store) {
    return store.runningAll().stream().map(r -> r.getSpec().getJobId()).toList();
  }

  @Test
  void twoRunningJobsAreBothRecorded_andClearingOneKeepsTheOther(@TempDir Path dir) {
    JobStore store = new JobStore(dir);
    store.record(job("a", 0));
    store.record(job("b/2", 0));
    store.record(job("a", 1));
    assertEquals(List.of("a", "b/2"), ids(store));
    assertEquals(1, store.runningAll().get(0).getAttempt());
    store.clear("a");
    assertEquals(List.of("b/2"), ids(store));
    store.clear("b/2");
    assertEquals(List.of(), ids(store));
  }

  @Test
  void aRecordOfTheOlderSingleFileFormatIsResumedAndCleared(@TempDir Path dir) throws Exception {
    Files.write(dir.resolve("running-job.pb"), job("old", 2).toByteArray());
    JobStore store = new JobStore(dir);
    assertEquals(List.of("old"), ids(store));
    store.clear("old");
    assertEquals(List.of(), ids(store));
  }

  @Test
  void noDirectoryYet_meansNoJob(@TempDir Path dir) {
    assertEquals(List.of(), ids(new JobStore(dir.resolve("not-yet"))));
  }

  private static JobRecord ranThroughAFailure(String id) {
    JobRecord r = new JobRecord(JobSpec.newBuilder().setJobId(id).setSteps(10).setDevices(2).build());
    r.on(new JobEvent.JobStarted("1f1b", List.of("n1", "n2"), 0, 0));
    for (int step = 0; step < 4; step++) {
      r.on(new JobEvent.StepCompleted(step, 3.0 - step, 12.5, new double[] {1, 2}, new long[] {100, 200 + step}, 1.0,
          List.of()));
    }
    r.on(new JobEvent.Progress("checkpoint", "checkpoint step-4 committed"));
    r.on(new JobEvent.Progress("failure-detected", "worker on n2 unreachable"));
    return r;
  }

  @Test
  void aHistoryReadsBackAsWritten_andTheRecordItRestoresShowsTheSame(@TempDir Path dir) {
    JobStore store = new JobStore(dir);
    JobRecord r = ranThroughAFailure("h/1");
    store.recordHistory(r.toHistory());
    JobStore.StoredHistory back = store.history("h/1");
    assertEquals("", back.problem());
    assertEquals(r.toHistory(), back.history());
    JobRecord restored = JobRecord.fromHistory(back.history());
    assertEquals(r.toJson().toString(), restored.toJson().toString());
    assertEquals(JobRecord.Status.RECOVERING, restored.status());
    assertEquals(4, restored.stepsCompleted());
    restored.on(new JobEvent.JobSucceeded(10, 0.5, "ab"));
    store.recordHistory(restored.toHistory());
    assertEquals("SUCCEEDED", store.history("h/1").history().getStatus());
    assertEquals(List.of("checkpoint", "failure-detected"),
        store.history("h/1").history().getEventsList().stream().map(e -> e.getKind()).toList());
    assertEquals(List.of(), store.runningAll(), "a history is no running job");
  }

  @Test
  void theEventsKeptAreBounded_andTheDroppedOnesCounted(@TempDir Path dir) {
    JobRecord r = ranThroughAFailure("many");
    for (int i = 0; i < JobRecord.MAX_EVENTS + 5; i++) {
      r.on(new JobEvent.Progress("checkpoint", "checkpoint step-" + i + " committed"));
    }
    JobHistory h = r.toHistory();
    assertEquals(JobRecord.MAX_EVENTS, h.getEventsCount());
    assertEquals(7, h.getEventsDropped());
    assertEquals("checkpoint step-" + (JobRecord.MAX_EVENTS + 4) + " committed",
        h.getEvents(JobRecord.MAX_EVENTS - 1).getMessage());
    assertEquals(7, JobRecord.fromHistory(h).toJson().get("eventsDropped").asLong());
  }

  @Test
  void aCorruptHistory_isReportedInOneLine_andSkippedInTheListing(@TempDir Path dir) throws Exception {
    JobStore store = new JobStore(dir);
    store.recordHistory(ranThroughAFailure("good").toHistory());
    Files.write(dir.resolve("job-history-bad.pb"), new byte[] {0x0a, (byte) 0xff});
    JobStore.StoredHistory bad = store.history("bad");
    assertNull(bad.history());
    assertTrue(bad.problem().contains("job-history-bad.pb is corrupt"), bad.problem());
    assertTrue(!bad.problem().contains("\n"), bad.problem());
    assertEquals(new JobStore.StoredHistory(null, ""), store.history("never"));
    assertEquals(List.of("good"), store.historiesAll(Set.of()).stream().map(h -> h.getSpec().getJobId()).toList());
    assertEquals(List.of(), store.historiesAll(Set.of("good")));
    store.forgetHistoryLater("good", Runnable::run).join();
    assertEquals(new JobStore.StoredHistory(null, ""), store.history("good"));
  }
}
