package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.tandem.kernels.CudaAvailability;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class GpuCheckCommandTest {
  @Test
  void withoutCuda_exitsOneWithTheReason() {
    CudaAvailability a = CudaAvailability.probe();
    assumeFalse(a.available(), "a GPU is present");
    StringWriter out = new StringWriter();
    int code = TandemCli.run(new String[] {"bench", "gpu-check", "--size", "0"}, new PrintWriter(out),
        new PrintWriter(new StringWriter()));
    assertEquals(1, code);
    assertTrue(out.toString().contains("CUDA unavailable: " + a.reason()), out.toString());
  }

  @Test
  void negativeSize_isAUserError() {
    StringWriter err = new StringWriter();
    int code = TandemCli.run(new String[] {"bench", "gpu-check", "--size", "-1"},
        new PrintWriter(new StringWriter()), new PrintWriter(err));
    assertEquals(TandemCli.USER_ERROR, code);
    assertTrue(err.toString().startsWith("tandem: --size must be >= 0"), err.toString());
  }
}
