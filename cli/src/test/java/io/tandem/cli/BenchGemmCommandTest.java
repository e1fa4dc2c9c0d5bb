package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class BenchGemmCommandTest {

  @Test
  void benchGemmJson_printsBothThroughputs() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = TandemCli.run(new String[] {"bench", "gemm", "--size", "32", "--threads", "2",
        "--warmup", "0", "--seconds", "0.05", "--json"}, new PrintWriter(out), new PrintWriter(err));
    assertEquals(0, code, err.toString());
    String json = out.toString().trim();
    assertTrue(json.matches("\\{.*\"tandemGflops\":[0-9.]+.*\"ejmlGflops\":[0-9.]+.*}"), json);
  }

  @Test
  void benchGemm_badSize_isAUserError() {
    StringWriter err = new StringWriter();
    int code = TandemCli.run(new String[] {"bench", "gemm", "--size", "0"},
        new PrintWriter(new StringWriter()), new PrintWriter(err));
    assertEquals(TandemCli.USER_ERROR, code);
    assertTrue(err.toString().startsWith("tandem: --size"), err.toString());
  }
}
