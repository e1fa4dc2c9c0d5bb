package io.tandem.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tandem.kernels.Backend;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * F, B and W run apart, with two microbatches in flight, give bitwise the gradients of the
 * fused backward; B alone gives the input gradient and touches no weight gradient; the stash
 * sizes match what the layers report; nothing leaks.
 */
class SplitPassesTest {
  private static Backend backend;

  @BeforeAll
  static void start() {
    backend = TestSupport.cpu(2);
  }

  @AfterAll
  static void stop() {
    backend.close();
  }

  static Stream<LayerCases.Case> cases() {
    return LayerCases.all().stream();
  }

  /** A layer or model seen through one interface. */
  private record Unit(Object o) {
    Tensor f(Microbatch mb, Tensor x) {
      return o instanceof Model m ? m.forward(mb, x) : ((Layer) o).forward(mb, x);
    }

    Tensor b(Microbatch mb, Tensor dy) {
      return o instanceof Model m ? m.backwardInput(mb, dy) : ((Layer) o).backwardInput(mb, dy);
    }

    void w(Microbatch mb) {
      if (o instanceof Model m) {
        m.backwardWeight(mb);
      } else {
        ((Layer) o).backwardWeight(mb);
      }
    }

    Tensor bw(Microbatch mb, Tensor dy) {
      return o instanceof Model m ? m.backward(mb, dy) : ((Layer) o).backward(mb, dy);
    }

    List<Parameter> params() {
      return o instanceof Model m ? m.parameters() : ((Layer) o).parameters();
    }

    long stashed() {
      return o instanceof Model m ? m.stashedBytes() : ((Layer) o).stashedBytes();
    }

    StashBytes estimate(int batch, int seq) {
      return o instanceof Model m ? m.stashBytes(batch, seq) : ((Layer) o).stashBytes(batch, seq);
    }

    void free() {
      if (o instanceof Model m) {
        m.free();
      } else {
        ((Layer) o).free();
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void splitBackwardEqualsFusedBitwise(LayerCases.Case c) {
    long before = backend.allocatedBytes();
    Unit fused = new Unit(c.make().apply(backend));
    Unit split = new Unit(c.make().apply(backend));
    int vocab = Math.max(c.vocab(), 2);
    Microbatch[] mbs = new Microbatch[2];
    Tensor[] xs = new Tensor[2];
    Tensor[] dys = new Tensor[2];
    int outCols = 0;
    for (int i = 0; i < 2; i++) {
      mbs[i] = TestSupport.randomMicrobatch(backend, i, c.batch(), c.seqLen(), vocab, 21, 0.25f);
      xs[i] = c.inCols() == 0 ? null
          : Tensor.of(backend, TestSupport.gaussians(30 + i, c.rows() * c.inCols(), 1.0), c.rows(), c.inCols());
    }
    // fused: F then BW, one microbatch after the other
    float[][] fusedY = new float[2][];
    float[][] fusedDx = new float[2][];
    for (int i = 0; i < 2; i++) {
      Tensor y = fused.f(mbs[i], xs[i]);
      fusedY[i] = y.toArray();
      outCols = y.cols();
      if (!c.loss()) {
        dys[i] = Tensor.of(backend, TestSupport.gaussians(40 + i, Math.toIntExact(y.elements()), 1.0), y.rows(), y.cols());
      }
      y.release();
      Tensor dx = fused.bw(mbs[i], dys[i]);
      fusedDx[i] = dx == null ? null : dx.toArray();
      if (dx != null) {
        dx.release();
      }
    }
    assertEquals(0, fused.stashed(), "fused stash left");

    // split: F0 F1, B1 B0, (weights untouched), W0 W1
    StashBytes est = split.estimate(c.batch(), c.seqLen());
    for (int i = 0; i < 2; i++) {
      Tensor y = split.f(mbs[i], xs[i]);
      assertArrayEquals(fusedY[i], y.toArray(), "forward output mb" + i);
      y.release();
    }
    assertEquals(2 * est.afterForward(), split.stashed(), "stash after F");
    for (int i = 1; i >= 0; i--) {
      Tensor dx = split.b(mbs[i], dys[i]);
      if (fusedDx[i] == null) {
        assertNull(dx);
      } else {
        assertArrayEquals(fusedDx[i], dx.toArray(), "input gradient mb" + i);
        dx.release();
      }
    }
    for (Parameter p : split.params()) {
      assertEquals(0.0, p.backend().sumOfSquares(p.grad(), 0, p.size()), p.name() + " gradient touched by B");
    }
    assertEquals(2 * est.afterBackwardInput(), split.stashed(), "stash after B");
    split.w(mbs[0]);
    split.w(mbs[1]);
    assertEquals(0, split.stashed(), "stash after W");
    List<Parameter> fp = fused.params();
    List<Parameter> sp = split.params();
    for (int i = 0; i < fp.size(); i++) {
      assertEquals(fp.get(i).name(), sp.get(i).name());
      assertArrayEquals(fp.get(i).gradient(), sp.get(i).gradient(), fp.get(i).name() + " gradient");
    }
    assertEquals(c.loss() ? 1 : outCols, outCols, "loss layers return one loss per row");
    for (int i = 0; i < 2; i++) {
      if (xs[i] != null) {
        xs[i].release();
      }
      if (dys[i] != null) {
        dys[i].release();
      }
      mbs[i].free(backend);
    }
    fused.free();
    split.free();
    assertEquals(before, backend.allocatedBytes(), "device memory leaked");
  }
}
