package io.tandem.actors.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.tandem.actors.JobConfig;
import io.tandem.actors.JobEvent;
import io.tandem.actors.JobFactory;
import io.tandem.actors.LocalRuntime;
import io.tandem.proto.JobSpec;
import io.tandem.schedule.Schedule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The GPU path without a GPU: two worker JVMs with two fake CUDA devices each
 * ({@code tandem.cuda.fake-devices=2}, computing on the CPU) run a 4-device {@code --backend cuda}
 * job from this JVM, a coordinator with no CUDA device. The job goes through cuda placement
 * (2 devices per node), local ordinals and the data plane, and must end with bitwise the CPU
 * backend's weights: the fake devices run the CPU kernels, so no tolerance applies (real GPUs
 * promise 1e-4 relative agreement per op, see CudaBackend).
 */
@Timeout(value = 300)
class FakeCudaClusterTest {
  static final int NODES = 2;
  static final int GPUS_PER_NODE = 2;
  static ClusterNode coordinator;
  static WorkerProcesses workers;
  static Path openLog;

  static JobSpec spec(String id, String backend, int devices) {
    return JobSpec.newBuilder().setJobId(id).setBackend(backend).setModel("gpt-tiny").setSchedule("1f1b")
        .setDevices(devices).setMicrobatches(4).setMicrobatchSize(1).setSteps(2).setSeed(11).setLearningRate(0.003)
        .setClipNorm(1.0).setDataset("corpus").setOptimizer("adamw").setStepTimeoutS(60).build();
  }

  @BeforeAll
  static void startCluster() throws Exception {
    Path logs = Path.of("target", "fake-cuda-cluster-logs");
    Files.createDirectories(logs);
    openLog = logs.resolve("opens-" + ProcessHandle.current().pid() + ".txt");
    Files.deleteIfExists(openLog);
    coordinator = ClusterNode.start("127.0.0.1", 0, List.of(), List.of("coordinator"), 0,
        com.typesafe.config.ConfigFactory.parseString("tandem.cluster.expected-workers = " + NODES));
    workers = WorkerProcesses.start(NODES, WorkerMain.class.getName(),
        List.of("-D" + io.tandem.kernels.FakeCuda.DEVICES + "=" + GPUS_PER_NODE,
            "-D" + io.tandem.kernels.FakeCuda.OPEN_LOG + "=" + openLog.toAbsolutePath()),
        List.of("127.0.0.1:" + coordinator.port(), "0", "1", Long.toString(WorkerProcesses.selfPid())), logs);
  }

  @AfterAll
  static void stopCluster() {
    if (workers != null) {
      workers.close();
    }
    if (coordinator != null) {
      coordinator.close();
    }
  }

  @Test
  void cudaJobOnTwoNodesOfTwoFakeGpus_equalsTheCpuBackendBitwise_eachNodeOnLocalOrdinals0And1() throws Exception {
    JobSpec cpu = spec("fake-cuda-reference", "cpu", NODES * GPUS_PER_NODE);
    Schedule schedule = JobFactory.schedule(cpu);
    JobEvent refEnd = LocalRuntime.run(new JobConfig(cpu.getJobId(), schedule, cpu.getSteps(), cpu.getClipNorm(),
        Duration.ofSeconds(60)), JobFactory.provider(cpu, schedule), e -> { });
    String reference = assertInstanceOf(JobEvent.JobSucceeded.class, refEnd, refEnd.toString()).weightsSha256();

    JobEvent end = coordinator.run(spec("fake-cuda-4", "cuda", NODES * GPUS_PER_NODE), NODES, Duration.ofSeconds(240),
        e -> { });
    JobEvent.JobSucceeded ok = assertInstanceOf(JobEvent.JobSucceeded.class, end,
        end + " (worker logs in " + workers.logs() + ")");
    assertEquals(reference, ok.weightsSha256(), "fake cuda across 2 nodes vs the CPU backend");

    Map<String, Set<Integer>> ordinalsByPid = Files.readAllLines(openLog).stream().map(l -> l.split(" "))
        .collect(Collectors.groupingBy(p -> p[0], Collectors.mapping(p -> Integer.parseInt(p[1]),
            Collectors.toCollection(TreeSet::new))));
    assertEquals(Set.of(workers.pid(0) + "", workers.pid(1) + ""), ordinalsByPid.keySet(), "both workers opened");
    ordinalsByPid.values().forEach(o -> assertEquals(Set.of(0, 1), o, "local ordinals, not job devices 2 and 3"));
    assertEquals(NODES * GPUS_PER_NODE, Files.readAllLines(openLog).size(), "one open per job device");
  }

  @Test
  void moreCudaDevicesThanTheClusterHas_failsTheJobWithEveryNodesCount() {
    JobEvent end = coordinator.run(spec("fake-cuda-5", "cuda", 5), NODES, Duration.ofSeconds(120), e -> { });
    JobEvent.JobFailed failed = assertInstanceOf(JobEvent.JobFailed.class, end, end.toString());
    assertEquals(1, failed.message().lines().count(), failed.message());
    String m = failed.message();
    org.junit.jupiter.api.Assertions.assertTrue(
        m.matches("refused: job needs 5 cuda devices on at least 2 nodes; the cluster has 4 \\(node pekko://tandem@127\\.0\\.0\\.1:\\d+:"
            + " 2 cuda, node pekko://tandem@127\\.0\\.0\\.1:\\d+: 2 cuda\\), 2 nodes up, 2 declared "
            + "\\(tandem.cluster.expected-workers\\): job fake-cuda-5 can never start"), m);
  }
}
