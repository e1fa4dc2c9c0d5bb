package io.tandem.model;

import io.tandem.kernels.Backend;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every layer's and model's gradients against central finite differences. */
class GradientCheckTest {
  private static Backend backend;

  @BeforeAll
  static void start() {
    backend = TestSupport.cpu(1);
  }

  @AfterAll
  static void stop() {
    backend.close();
  }

  static Stream<LayerCases.Case> cases() {
    return LayerCases.all().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void gradientsMatchFiniteDifferences(LayerCases.Case c) {
    Object made = c.make().apply(backend);
    GradCheck.Pass pass = made instanceof Model m ? GradCheck.of(m) : GradCheck.of((Layer) made);
    int vocab = Math.max(c.vocab(), 2);
    Microbatch mb = TestSupport.randomMicrobatch(backend, 0, c.batch(), c.seqLen(), vocab, 11, 1f);
    float[] input = c.inCols() == 0 ? null : TestSupport.gaussians(12, c.rows() * c.inCols(), 1.0);
    GradCheck.check(backend, pass, mb, input, c.rows(), c.inCols(), c.loss(), 13);
    mb.free(backend);
  }
}
