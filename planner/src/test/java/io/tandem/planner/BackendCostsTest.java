package io.tandem.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BackendCostsTest {
  private static final GptShape TINY = new GptShape(6, 64, 4, 64, 256);

  @Test
  void cudaGetsTheGpusRates_andEveryOtherBackendTheCpus() {
    assertEquals("GPU", BackendCosts.of("CUDA").name());
    assertEquals("CPU", BackendCosts.of("cpu").name());
    double gpu = BackendCosts.of("cuda").profiler().profile(TINY, 4).totalMs();
    double cpu = BackendCosts.of("cpu").profiler().profile(TINY, 4).totalMs();
    // measured by `tandem profile --model gpt-tiny --microbatch-size 4` on a 2-core VM: 35 ms
    assertTrue(cpu > 15 && cpu < 60, "gpt-tiny on a CPU worker: " + cpu + " ms");
    assertTrue(gpu < cpu / 50, "gpu " + gpu + " ms, cpu " + cpu + " ms");
  }

  @Test
  void theClusterHasTheBackendsLink() {
    ClusterSpec cpu = BackendCosts.of("cpu").cluster(3, 1 << 30);
    assertEquals(3, cpu.size());
    assertEquals(BackendCosts.CPU_LINK_BYTES_PER_SECOND, cpu.linkBytesPerSecond());
    assertEquals(BackendCosts.CPU_LINK_LATENCY_MS, cpu.linkLatencyMs());
    assertEquals(1 << 30, cpu.devices().get(2).memoryBytes());
    assertEquals(ClusterSpec.DEFAULT_BANDWIDTH, BackendCosts.of("cuda").cluster(2, 1).linkBytesPerSecond());
  }
}
