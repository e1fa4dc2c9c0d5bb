package io.tandem.actors.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.tandem.actors.JobEvent;
import io.tandem.proto.JobSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A job's JSON carries {@code waiting} (the job master's latest reason) only until the job starts or ends. */
class JobRecordWaitingTest {
  private static JobRecord record() {
    return new JobRecord(JobSpec.newBuilder().setJobId("j").setSteps(3).setDevices(2).build());
  }

  @Test
  void waitingShowsTheLatestReasonWhilePending_andGoesOnceTheJobStarts() {
    JobRecord r = record();
    r.on(new JobEvent.Progress("waiting", "job j waiting for 2 devices, have 0"));
    r.on(new JobEvent.Progress("waiting", "job j waiting for 2 devices, have 1"));
    assertEquals("job j waiting for 2 devices, have 1", r.toJson().path("waiting").asText());
    assertEquals("PENDING", r.toJson().path("status").asText());
    r.on(new JobEvent.Progress("admitted", "job j starts on 2 worker node(s): a, b"));
    assertFalse(r.toJson().has("waiting"));
    r.on(new JobEvent.JobStarted("1f1b", List.of("a", "b"), 0, 0));
    assertFalse(r.toJson().has("waiting"));
    assertEquals(3, r.toJson().path("events").size(), "each waiting reason and the admission are events");
  }

  @Test
  void aRefusedJobIsFailedWithTheReason_notWaiting() {
    JobRecord r = record();
    r.on(new JobEvent.JobFailed("refused: job j needs 2 worker nodes (one per device) and the cluster has 1 up"));
    assertEquals("FAILED", r.toJson().path("status").asText());
    assertFalse(r.toJson().has("waiting"));
  }
}
