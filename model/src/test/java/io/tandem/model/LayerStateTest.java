package io.tandem.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.kernels.Backend;
import io.tandem.model.data.AdditionTask;
import io.tandem.model.optim.AdamW;
import io.tandem.model.optim.LearningRate;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Layer state round-trips (weights and optimizer state), so training resumes identically. */
class LayerStateTest {
  private static final GptSpec SPEC = new GptSpec("state", 2, 16, 2, 16, 256);
  private static Backend backend;

  @BeforeAll
  static void start() {
    backend = TestSupport.cpu(1);
  }

  @AfterAll
  static void stop() {
    backend.close();
  }

  private static Trainer trainer(Model m) {
    return new Trainer(backend, m, AdamW.defaults(), LearningRate.constant(1e-2f), 1.0);
  }

  @Test
  void restoredModelContinuesBitwiseLikeTheOriginal() {
    AdditionTask data = new AdditionTask(2);
    Model a = SPEC.build(backend, 1);
    for (int s = 1; s <= 3; s++) {
      trainer(a).step(data, 5, s, 1, 2);
    }
    Model b = SPEC.build(backend, 2);
    assertNotEquals(a.weightsSha256(), b.weightsSha256());
    for (int i = 0; i < a.size(); i++) {
      LayerState.load(b.layers().get(i), LayerState.save(a.layers().get(i), true));
    }
    assertEquals(a.weightsSha256(), b.weightsSha256());
    double la = trainer(a).step(data, 5, 4, 1, 2).loss();
    double lb = trainer(b).step(data, 5, 4, 1, 2).loss();
    assertEquals(la, lb, 0.0);
    assertEquals(a.weightsSha256(), b.weightsSha256(), "optimizer state restored too");
    a.free();
    b.free();
  }

  @Test
  void weightsOnlyStateIsSmallerAndLoads() {
    Model a = SPEC.build(backend, 1);
    Model b = SPEC.build(backend, 9);
    Layer la = a.layers().get(1);
    byte[] weights = LayerState.save(la, false);
    assertTrue(weights.length > la.parameterBytes());
    LayerState.load(b.layers().get(1), weights);
    assertEquals(Model.combineDigests(java.util.List.of(Model.layerDigest(la))),
        Model.combineDigests(java.util.List.of(Model.layerDigest(b.layers().get(1)))));
    a.free();
    b.free();
  }

  @Test
  void corruptOrForeignStateIsRejected() {
    Model a = SPEC.build(backend, 1);
    byte[] block = LayerState.save(a.layers().get(1), false);
    IllegalArgumentException wrongLayer =
        assertThrows(IllegalArgumentException.class, () -> LayerState.load(a.layers().get(2), block));
    assertTrue(wrongLayer.getMessage().contains("block0"), wrongLayer.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> LayerState.load(a.layers().get(1), Arrays.copyOf(block, block.length - 3)));
    byte[] bad = block.clone();
    bad[0] ^= 1;
    assertThrows(IllegalArgumentException.class, () -> LayerState.load(a.layers().get(1), bad));
    a.free();
  }
}
