package io.tandem.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The GPU scripts parse, gpu-check explains a missing GPU, and the GEMM timer works on the CPU. */
class GpuToolingTest {
  private static final Path MODULE = Path.of("").toAbsolutePath();

  @ParameterizedTest
  @ValueSource(strings = {"../deploy/gpu-bundle.sh", "gpu-check.sh", "build-kernels.sh"})
  void scriptPassesBashSyntaxCheck(String script) throws IOException, InterruptedException {
    Path p = MODULE.resolve(script).normalize();
    assertTrue(Files.isRegularFile(p), p + " missing");
    assertTrue(Files.isExecutable(p), p + " not executable");
    Process proc = new ProcessBuilder("bash", "-n", p.toString()).redirectErrorStream(true).start();
    String output = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(proc.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, proc.exitValue(), output);
  }

  @Test
  void gpuCheckWithoutCudaPrintsTheReasonAndFails() {
    CudaAvailability a = CudaAvailability.probe();
    assumeFalse(a.available(), "a GPU is present; CudaBackendTest covers the real check");
    StringWriter out = new StringWriter();
    assertFalse(new GpuCheck(new PrintWriter(out)).run(0, 0));
    assertEquals("gpu-check: CUDA unavailable: " + a.reason(), out.toString().trim());
  }

  @Test
  void gemmTimerTimesAnyBackend() {
    try (CpuBackend cpu = CpuBackend.create(1)) {
      GemmTimer.Timing t = GemmTimer.time(cpu, 48, 1, 0.01);
      assertEquals(48, t.n());
      assertTrue(t.reps() >= 3 && t.millis() > 0 && t.tflops() > 0, t.toString());
      assertEquals(0, cpu.allocatedBytes());
      assertThrows(IllegalArgumentException.class, () -> GemmTimer.time(cpu, 0, 0, 0));
    }
  }
}
