package io.tandem.actors.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tandem.proto.JobSpec;
import io.tandem.proto.RunningJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One record per running job; ending one leaves the others to resume. */
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
}
