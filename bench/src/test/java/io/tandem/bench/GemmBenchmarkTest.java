package io.tandem.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GemmBenchmarkTest {

  @Test
  void run_measuresBothLibrariesOnTheSameProduct() {
    GemmBenchmark.Result r = GemmBenchmark.run(new GemmBenchmark.Options(48, 2, 0.0, 0.05));
    assertEquals(48, r.size());
    assertTrue(r.tandemGflops() > 0 && r.ejmlGflops() > 0);
    assertTrue(r.tandemRuns() >= 3 && r.ejmlRuns() >= 3);
    assertTrue(r.maxRelativeDifference() < 1e-5, "results differ: " + r.maxRelativeDifference());
    String json = r.toJson();
    assertTrue(json.contains("\"tandemGflops\":") && json.contains("\"ejmlGflops\":"), json);
    assertTrue(json.startsWith("{") && json.endsWith("}"), json);
  }

  @Test
  void options_rejectNonsense() {
    assertThrows(IllegalArgumentException.class, () -> GemmBenchmark.Options.of(0, 1));
    assertThrows(IllegalArgumentException.class, () -> GemmBenchmark.Options.of(8, 0));
  }
}
