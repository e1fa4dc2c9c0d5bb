package io.tandem.actors;

import io.tandem.actors.worker.ComputeProvider;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.kernels.CudaDevices;
import io.tandem.kernels.FakeCuda;
import io.tandem.proto.JobSpec;
import io.tandem.schedule.Schedule;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The CUDA path in one process on fake devices: the same weights as the CPU backend, and a
 * driver error on one device fails the step with one clean line (no crash, no hang).
 */
@Timeout(120)
class FakeCudaDeviceFaultTest {
  static JobSpec spec(String backend) {
    return JobSpec.newBuilder().setJobId("fake-cuda-" + backend).setBackend(backend).setModel("gpt-tiny")
        .setSchedule("1f1b").setDevices(2).setMicrobatches(4).setMicrobatchSize(1).setSteps(2).setSeed(5)
        .setLearningRate(0.003).setClipNorm(1.0).setDataset("corpus").setOptimizer("adamw").setStepTimeoutS(60).build();
  }

  static JobEvent run(JobSpec spec, ComputeProvider provider) {
    Schedule schedule = JobFactory.schedule(spec);
    return LocalRuntime.run(new JobConfig(spec.getJobId(), schedule, spec.getSteps(), spec.getClipNorm(),
        Duration.ofSeconds(60)), provider, e -> { });
  }

  @Test
  void fakeCudaDevicesTrainLikeTheCpuBackendBitwise() {
    JobSpec cpu = spec("cpu");
    JobSpec cuda = spec("cuda");
    JobEvent ref = run(cpu, JobFactory.provider(cpu, JobFactory.schedule(cpu)));
    JobEvent got = run(cuda, JobFactory.provider(cuda, JobFactory.schedule(cuda), new CudaDevices(FakeCuda.of(2)), 2));
    assertEquals(assertInstanceOf(JobEvent.JobSucceeded.class, ref, ref.toString()).weightsSha256(),
        assertInstanceOf(JobEvent.JobSucceeded.class, got, got.toString()).weightsSha256());
  }

  @Test
  void aDriverErrorFailsTheStepWithOneCleanLine() {
    JobSpec cuda = spec("cuda");
    FakeCuda faulty = new FakeCuda(2, Optional.of(FakeCuda.Fault.parse("1:adamw:1")), Optional.empty());
    JobEvent end = run(cuda, JobFactory.provider(cuda, JobFactory.schedule(cuda), new CudaDevices(faulty), 2));
    JobEvent.JobFailed failed = assertInstanceOf(JobEvent.JobFailed.class, end, end.toString());
    assertEquals(1, failed.message().lines().count(), failed.message());
    assertTrue(failed.message().contains("cuda:1 is unusable after a CUDA error in adamw: cuLaunchKernel failed: "
        + "CUDA_ERROR_ILLEGAL_ADDRESS"), failed.message());
  }

  @Test
  void tooFewLocalGpusIsRefusedUpFront() {
    JobSpec cuda = spec("cuda");
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> JobFactory.provider(cuda, JobFactory.schedule(cuda), new CudaDevices(FakeCuda.of(1)), 2));
    assertEquals("--backend cuda: 2 devices asked for, 1 GPU(s) found", e.getMessage());
  }

  @Test
  void namesAreCheckedWithoutADevice() {
    JobFactory.checkNames(spec("cuda"));  // no GPU here, and none needed
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> JobFactory.checkNames(spec("cuda").toBuilder().setDataset("nope").build()));
    assertEquals("dataset: unknown dataset 'nope'; known: corpus, addition", e.getMessage());
  }
}
