package io.tandem.actors.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.actors.JobConfig;
import io.tandem.actors.JobEvent;
import io.tandem.actors.JobFactory;
import io.tandem.actors.LocalRuntime;
import io.tandem.kernels.FakeCuda;
import io.tandem.proto.JobSpec;
import io.tandem.schedule.Schedule;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A GPU that fails mid-job: two worker JVMs with two fake CUDA devices each, the second
 * injecting {@code CUDA_ERROR_ILLEGAL_ADDRESS} into its {@code cuda:1}. The step fails with one
 * clean line, that node leaves the cluster (its worker process ends, to be restarted), and the
 * job re-plans onto the healthy node's two GPUs and finishes with the CPU backend's weights.
 */
@Timeout(value = 300)
class FakeCudaDeviceFailureTest {
  static ClusterNode coordinator;
  static WorkerProcesses healthy;
  static WorkerProcesses faulty;
  @TempDir static Path checkpoints;

  static JobSpec spec(String id, String backend) {
    return JobSpec.newBuilder().setJobId(id).setBackend(backend).setModel("gpt-tiny").setSchedule("1f1b")
        .setDevices(4).setMicrobatches(4).setMicrobatchSize(1).setSteps(2).setSeed(29).setLearningRate(0.003)
        .setClipNorm(1.0).setDataset("corpus").setOptimizer("adamw").setStepTimeoutS(60)
        .setCheckpointDir(checkpoints.resolve(id).toString()).setCheckpointEvery(1).setKeepCheckpoints(2).build();
  }

  @BeforeAll
  static void startCluster() {
    coordinator = ClusterNode.start("127.0.0.1", 0, List.of(), List.of("coordinator"), 0);
    List<String> args = List.of("127.0.0.1:" + coordinator.port(), "0", "1", Long.toString(WorkerProcesses.selfPid()));
    Path logs = Path.of("target", "fake-cuda-failure-logs");
    healthy = WorkerProcesses.start(1, WorkerMain.class.getName(), List.of("-D" + FakeCuda.DEVICES + "=2"), args,
        logs.resolve("healthy"));
    faulty = WorkerProcesses.start(1, WorkerMain.class.getName(),
        List.of("-D" + FakeCuda.DEVICES + "=2", "-D" + FakeCuda.FAULT + "=1:adamw:1"), args, logs.resolve("faulty"));
  }

  @AfterAll
  static void stopCluster() {
    for (WorkerProcesses w : new WorkerProcesses[] {healthy, faulty}) {
      if (w != null) {
        w.close();
      }
    }
    if (coordinator != null) {
      coordinator.close();
    }
  }

  @Test
  void poisonedGpu_nodeLeaves_jobFinishesOnTheOtherNodesGpus_bitwiseEqualToCpu() throws Exception {
    JobSpec cpu = spec("gpu-failure-reference", "cpu").toBuilder().setCheckpointEvery(0).build();
    Schedule schedule = JobFactory.schedule(cpu);
    JobEvent refEnd = LocalRuntime.run(new JobConfig(cpu.getJobId(), schedule, cpu.getSteps(), cpu.getClipNorm(),
        Duration.ofSeconds(60)), JobFactory.provider(cpu, schedule), e -> { });
    String reference = assertInstanceOf(JobEvent.JobSucceeded.class, refEnd, refEnd.toString()).weightsSha256();

    List<JobEvent> events = new CopyOnWriteArrayList<>();
    JobEvent end = coordinator.run(spec("gpu-failure", "cuda"), 2, Duration.ofSeconds(240), events::add);
    String log = events.stream().filter(e -> e instanceof JobEvent.Progress).map(e -> ((JobEvent.Progress) e).kind()
        + ": " + ((JobEvent.Progress) e).message()).collect(Collectors.joining("\n"));
    JobEvent.JobSucceeded ok = assertInstanceOf(JobEvent.JobSucceeded.class, end,
        end + "\n" + log + "\n(worker logs in " + healthy.logs() + faulty.logs() + ")");
    assertTrue(log.contains("re-planned to schedule 1f1b on 2 device(s)"), log);
    assertEquals(reference, ok.weightsSha256(), log);
    for (int i = 0; i < 60 && faulty.alive() > 0; i++) {
      Thread.sleep(500);
    }
    assertEquals(0, faulty.alive(), "the node with the poisoned GPU left and its process ended");
    assertEquals(1, healthy.alive());
  }
}
