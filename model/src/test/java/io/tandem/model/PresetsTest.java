package io.tandem.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.kernels.Backend;
import java.util.List;
import org.junit.jupiter.api.Test;

class PresetsTest {

  @Test
  void presetSizesAreAsAdvertised() {
    try (Backend backend = TestSupport.cpu(1)) {
      Model tiny = Presets.GPT_TINY.build(backend, 1);
      assertTrue(tiny.parameterCount() > 200_000 && tiny.parameterCount() < 600_000, "" + tiny.parameterCount());
      assertEquals(9, tiny.size());
      assertEquals(List.of("embed", "block0", "block1", "block2", "block3", "block4", "block5", "ln_f", "head"),
          tiny.layers().stream().map(Layer::name).toList());
      assertEquals("block0.attn.qkv.weight", tiny.layers().get(1).parameters().get(2).name());
      tiny.free();
      Model mini = Presets.GPT_MINI.build(backend, 1);
      assertTrue(mini.parameterCount() > 2_000_000 && mini.parameterCount() < 8_000_000, "" + mini.parameterCount());
      mini.free();
    }
  }

  @Test
  void sliceKeepsGlobalLayerIndices() {
    try (Backend backend = TestSupport.cpu(1)) {
      Model tiny = Presets.GPT_TINY.build(backend, 1);
      Model mid = tiny.slice(2, 5);
      assertEquals(2, mid.firstLayer());
      assertEquals(5, mid.endLayer());
      assertEquals("block1", mid.layers().get(0).name());
      Model last = mid.slice(1, 3);
      assertEquals(3, last.firstLayer());
      assertTrue(tiny.slice(7, 9).isLast());
      assertTrue(tiny.slice(0, 1).isFirst());
      Model built = Presets.GPT_TINY.build(backend, 1, 2, 5);
      assertEquals(Model.combineDigests(mid.layerDigests()), Model.combineDigests(built.layerDigests()),
          "a slice built alone has the weights of the same layers of the whole model");
      assertThrows(IllegalArgumentException.class, () -> tiny.slice(3, 3));
      tiny.free();
      built.free();
    }
  }

  @Test
  void describeReportsEveryLayerForThePlanner() {
    List<LayerInfo> info = Presets.GPT_TINY.describe(4);
    assertEquals(Presets.GPT_TINY.numLayers(), info.size());
    long params = info.stream().mapToLong(LayerInfo::parameters).sum();
    assertEquals(336_896, params);
    LayerInfo block = info.get(1);
    assertEquals("block0", block.name());
    int rows = 4 * 64;
    int d = 64;
    assertEquals(24.0 * rows * d * d + 4.0 * 4 * 64 * 64 * d, block.flops().forward(), 0.0);
    assertEquals(block.flops().forward() + 4.0 * 4 * 64 * 64 * d, block.flops().backwardInput(), 0.0);
    assertEquals(24.0 * rows * d * d, block.flops().backwardWeight(), 0.0);
    assertTrue(block.stash().afterForward() > block.stash().afterBackwardInput() / 2);
    assertEquals(0, info.get(0).stash().afterForward(), "the embedding keeps nothing until B");
  }

  @Test
  void unknownPresetNamesTheKnownOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Presets.byName("gpt-huge"));
    assertTrue(e.getMessage().contains("gpt-tiny"), e.getMessage());
    assertEquals(Presets.GPT_MINI, Presets.byName("GPT-MINI"));
  }
}
