package io.tandem.actors.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.tandem.actors.JobEvent;
import io.tandem.actors.admin.AdminServer;
import io.tandem.actors.admin.JobRecord;
import io.tandem.proto.JobSpec;
import io.tandem.proto.RunningJob;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job master starting on a job store another one left (one JVM, sim backend): the running
 * job whose history file is corrupt still resumes, its history starting with a note; an ended
 * job's history is shown as it was, one that never started as failed, through this node's admin
 * API; only the latest {@link JobMaster#FINISHED_KEPT} ended ones are kept.
 */
@Timeout(120)
class JobHistoryTakeOverTest {
  static final String TOKEN = "history-token";
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newHttpClient();

  static JobSpec sim(String id) {
    return JobSpec.newBuilder().setJobId(id).setBackend("sim").setOpMs(1).setSchedule("1f1b").setModel("gpt-tiny")
        .setDevices(2).setMicrobatches(4).setMicrobatchSize(1).setSteps(3).setSeed(1).setLearningRate(0.01)
        .setOptimizer("adamw").setDataset("corpus").setMinNodes(1).build();
  }

  static JsonNode get(AdminServer server, String path) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + path))
        .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), path + ": " + r.body());
    return JSON.readTree(r.body());
  }

  static List<String> kinds(JsonNode job) {
    List<String> kinds = new ArrayList<>();
    job.get("events").forEach(e -> kinds.add(e.get("kind").asText()));
    return kinds;
  }

  @Test
  void corruptHistory_jobStillResumesWithANote_andAnEndedJobsHistoryIsShown(@TempDir Path dir) throws Exception {
    JobStore store = new JobStore(dir);
    store.record(RunningJob.newBuilder().setSpec(sim("resumed")).setMinNodes(1).setAttempt(0)
        .setReplyTo("pekko://tandem@127.0.0.1:1/system/gone#1").build());
    Files.write(dir.resolve("job-history-resumed.pb"), new byte[] {0x0a, (byte) 0xff});
    JobRecord ended = new JobRecord(sim("ended"));
    ended.on(new JobEvent.JobStarted("1f1b", List.of("n1", "n1"), 0, 0));
    ended.on(new JobEvent.Progress("checkpoint", "checkpoint step-2 committed"));
    ended.on(new JobEvent.JobSucceeded(3, 1.5, "cafe"));
    store.recordHistory(ended.toHistory());
    JobRecord queued = new JobRecord(sim("queued"));
    queued.on(new JobEvent.Progress("waiting", "job queued waiting for 2 devices, have 0"));
    store.recordHistory(queued.toHistory());
    for (int i = 0; i < JobMaster.FINISHED_KEPT; i++) { // older than both: the 2 oldest are deleted
      store.recordHistory(io.tandem.proto.JobHistory.newBuilder().setSpec(sim("old-" + i)).setSubmittedMs(1000 + i)
          .setStatus("SUCCEEDED").build());
    }

    ClusterNode node = ClusterNode.start("127.0.0.1", 0, List.of(), List.of("coordinator", "worker"), 2,
        ConfigFactory.empty().withValue("tandem.cluster.job-store", ConfigValueFactory.fromAnyRef(dir.toString())));
    try (AdminServer server = AdminServer.start(node, "127.0.0.1", 0, TOKEN, List.of())) {
      JsonNode job = null;
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (System.nanoTime() < deadline) {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + "/jobs/resumed"))
            .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
        job = r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
        if (job != null && job.get("status").asText().equals("SUCCEEDED")) {
          break;
        }
        Thread.sleep(200);
      }
      assertTrue(job != null && job.get("status").asText().equals("SUCCEEDED"), String.valueOf(job));
      List<String> kinds = kinds(job);
      assertEquals(List.of("history-lost", "coordinator-moved"), kinds.subList(0, 2), job.toString());
      assertTrue(job.get("events").get(0).get("message").asText().contains("job-history-resumed.pb is corrupt"),
          job.toString());
      assertEquals(3, job.get("step").asInt(), job.toString());
      assertEquals(1, job.get("recoveries").asInt(), job.toString());

      JsonNode old = get(server, "/jobs/ended");
      assertEquals("SUCCEEDED", old.get("status").asText());
      assertEquals("cafe", old.get("weightsSha256").asText());
      assertEquals(List.of("checkpoint"), kinds(old));
      JsonNode never = get(server, "/jobs/queued");
      assertEquals("FAILED", never.get("status").asText(), never.toString());
      assertTrue(never.get("error").asText().contains("not resumed"), never.toString());
      assertEquals(List.of("waiting"), kinds(never));
      List<String> listed = new ArrayList<>();
      get(server, "/jobs").forEach(j -> listed.add(j.get("id").asText()));
      assertEquals(JobMaster.FINISHED_KEPT + 1, listed.size(), listed.toString());
      assertTrue(listed.containsAll(List.of("ended", "resumed", "queued", "old-2")) && !listed.contains("old-1"),
          listed.toString());
    } finally {
      node.close();
    }
    deadline(() -> store.runningAll().isEmpty()
        && "SUCCEEDED".equals(store.history("resumed").history() == null ? "" : store.history("resumed").history().getStatus())
        && "FAILED".equals(store.history("queued").history().getStatus())
        && store.history("old-0").history() == null && store.history("old-1").history() == null
        && store.history("old-2").history() != null);
  }

  /**
   * A job taken over that still waits for nodes is cancelled: its running record is cleared (a
   * later job master must not resume it) and its history says cancelled.
   */
  @Test
  void takenOverJobCancelledWhileWaiting_isNotResumedAgain(@TempDir Path dir) throws Exception {
    JobStore store = new JobStore(dir);
    store.record(RunningJob.newBuilder().setSpec(sim("waits").toBuilder().setMinNodes(2)).setMinNodes(2).setAttempt(0)
        .setReplyTo("pekko://tandem@127.0.0.1:1/system/gone#1").build());
    ClusterNode node = ClusterNode.start("127.0.0.1", 0, List.of(), List.of("coordinator"), 0,
        ConfigFactory.empty().withValue("tandem.cluster.job-store", ConfigValueFactory.fromAnyRef(dir.toString())));
    try {
      deadline(() -> store.history("waits").history() != null
          && store.history("waits").history().getEventsList().stream().anyMatch(e -> e.getKind().equals("waiting")));
      node.cancel("waits", "no longer needed");
      deadline(() -> store.runningAll().isEmpty()
          && "CANCELLED".equals(store.history("waits").history().getStatus()));
    } finally {
      node.close();
    }
  }

  private static void deadline(java.util.function.BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!done.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "the job store did not record the job's end");
      Thread.sleep(50);
    }
  }
}
