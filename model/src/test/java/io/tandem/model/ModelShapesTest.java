package io.tandem.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tandem.kernels.Backend;
import org.junit.jupiter.api.Test;

class ModelShapesTest {

  @Test
  void presetsAreNamesForShapes() {
    for (String preset : Presets.names()) {
      ModelSpec p = ModelShapes.parse(preset);
      ModelSpec s = ModelShapes.parse(ModelShapes.shape(p));
      assertEquals(ModelShapes.shape(p), ModelShapes.shape(s));
      assertEquals(p.numLayers(), s.numLayers());
    }
    assertEquals(new GptSpec("gpt:layers=2,hidden=8,heads=2,seq=4,vocab=10", 2, 8, 2, 4, 10),
        ModelShapes.parse("gpt:layers=2,hidden=8,heads=2,seq=4,vocab=10"));
    assertEquals(new MlpSpec("mlp:layers=3,hidden=128,seq=64,vocab=256", 3, 128, 64, 256),
        ModelShapes.parse(" MLP:seq=64,vocab=256,layers=3,hidden=128 "));
  }

  @Test
  void presetAndItsShapeBuildTheSameWeights() {
    try (Backend backend = TestSupport.cpu(1)) {
      Model preset = Presets.GPT_TINY.build(backend, 5);
      Model shape = ModelShapes.parse("gpt:layers=6,hidden=64,heads=4,seq=64,vocab=256").build(backend, 5);
      assertEquals(Model.combineDigests(preset.layerDigests()), Model.combineDigests(shape.layerDigests()));
      preset.free();
      shape.free();
    }
  }

  @Test
  void badShapesNameTheRuleBroken() {
    assertEquals("hidden (30) must be divisible by heads (4)", message("gpt:layers=2,hidden=30,heads=4,seq=8,vocab=256"));
    assertEquals("missing seq, vocab; give all of layers, hidden, heads, seq, vocab",
        message("gpt:layers=2,hidden=32,heads=4"));
    assertEquals("layers must be >= 1, got 0", message("gpt:layers=0,hidden=32,heads=4,seq=8,vocab=256"));
    assertEquals("heads must be an integer, got 'x'", message("gpt:layers=2,hidden=32,heads=x,seq=8,vocab=256"));
    assertEquals("unknown key 'heads'; use layers, hidden, seq, vocab", message("mlp:layers=2,hidden=32,heads=2"));
    assertEquals("bad part 'hidden', expected KEY=VALUE", message("mlp:layers=2,hidden"));
    assertEquals(true, message("bert:layers=2").startsWith("unknown model; use a preset (gpt-tiny"));
  }

  private static String message(String text) {
    return assertThrows(IllegalArgumentException.class, () -> ModelShapes.parse(text)).getMessage();
  }
}
