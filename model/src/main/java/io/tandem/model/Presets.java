package io.tandem.model;

import java.util.List;
import java.util.Locale;

/** Named model presets. */
public final class Presets {
  /** 337 K parameters, 9 layers (6 blocks, width 64, 4 heads, 64 tokens): fast enough for tests. */
  public static final GptSpec GPT_TINY = new GptSpec("gpt-tiny", 6, 64, 4, 64, 256);
  /** 3.7 M parameters, 11 layers (8 blocks, width 192, 6 heads, 128 tokens): the demo. */
  public static final GptSpec GPT_MINI = new GptSpec("gpt-mini", 8, 192, 6, 128, 256);
  /** A small per-position MLP, 8 layers. */
  public static final MlpSpec MLP_SMALL = new MlpSpec("mlp-small", 3, 128, 64, 256);

  private static final List<ModelSpec> ALL = List.of(GPT_TINY, GPT_MINI, MLP_SMALL);

  private Presets() {}

  /** Preset names. */
  public static List<String> names() {
    return ALL.stream().map(ModelSpec::name).toList();
  }

  /** The preset with this name (case-insensitive). */
  public static ModelSpec byName(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    for (ModelSpec s : ALL) {
      if (s.name().equals(n)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown model '" + name + "'; presets: " + String.join(", ", names()));
  }
}
