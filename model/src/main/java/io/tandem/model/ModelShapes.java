package io.tandem.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The one parser of model names: a preset ({@code gpt-tiny}, {@code gpt-mini}, {@code mlp-small})
 * or a shape, {@code gpt:layers=L,hidden=H,heads=A,seq=S,vocab=V} (L transformer blocks of width
 * H with A heads) or {@code mlp:layers=L,hidden=H,seq=S,vocab=V} (L Linear+GELU pairs of width H).
 * Every key is required. A preset is a name for a shape: {@code gpt-tiny} builds the same weights
 * as {@code gpt:layers=6,hidden=64,heads=4,seq=64,vocab=256}. The planner's analytic profiles take
 * their GPT dimensions from here too (the planner module cannot see this one, so its callers convert).
 */
public final class ModelShapes {
  private static final List<String> GPT_KEYS = List.of("layers", "hidden", "heads", "seq", "vocab");
  private static final List<String> MLP_KEYS = List.of("layers", "hidden", "seq", "vocab");

  private ModelShapes() {}

  /**
   * The model {@code text} names. Throws {@link IllegalArgumentException} with a one-line reason
   * that does not repeat {@code text} (callers prefix it), e.g. {@code hidden (30) must be
   * divisible by heads (4)}.
   */
  public static ModelSpec parse(String text) {
    String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    if (t.startsWith("gpt:")) {
      Map<String, Integer> v = values(t.substring(4), GPT_KEYS);
      int hidden = v.get("hidden");
      int heads = v.get("heads");
      if (hidden % heads != 0) {
        throw new IllegalArgumentException("hidden (" + hidden + ") must be divisible by heads (" + heads + ")");
      }
      return new GptSpec(gpt(v.get("layers"), hidden, heads, v.get("seq"), v.get("vocab")), v.get("layers"), hidden,
          heads, v.get("seq"), v.get("vocab"));
    }
    if (t.startsWith("mlp:")) {
      Map<String, Integer> v = values(t.substring(4), MLP_KEYS);
      return new MlpSpec(mlp(v.get("layers"), v.get("hidden"), v.get("seq"), v.get("vocab")), v.get("layers"),
          v.get("hidden"), v.get("seq"), v.get("vocab"));
    }
    if (Presets.names().contains(t)) {
      return Presets.byName(t);
    }
    throw new IllegalArgumentException("unknown model; use a preset (" + String.join(", ", Presets.names())
        + ") or a shape gpt:layers=L,hidden=H,heads=A,seq=S,vocab=V or mlp:layers=L,hidden=H,seq=S,vocab=V");
  }

  /** The shape string of {@code spec}: what {@link #parse} reads back to the same dimensions. */
  public static String shape(ModelSpec spec) {
    if (spec instanceof GptSpec g) {
      return gpt(g.blocks(), g.width(), g.heads(), g.seqLen(), g.vocab());
    }
    MlpSpec m = (MlpSpec) spec;
    return mlp(m.hidden(), m.width(), m.seqLen(), m.vocab());
  }

  private static String gpt(int layers, int hidden, int heads, int seq, int vocab) {
    return "gpt:layers=" + layers + ",hidden=" + hidden + ",heads=" + heads + ",seq=" + seq + ",vocab=" + vocab;
  }

  private static String mlp(int layers, int hidden, int seq, int vocab) {
    return "mlp:layers=" + layers + ",hidden=" + hidden + ",seq=" + seq + ",vocab=" + vocab;
  }

  private static Map<String, Integer> values(String body, List<String> keys) {
    Map<String, Integer> v = new LinkedHashMap<>();
    for (String part : body.split(",", -1)) {
      String[] kv = part.split("=", -1);
      String key = kv[0].trim();
      if (kv.length != 2 || key.isEmpty()) {
        throw new IllegalArgumentException("bad part '" + part.trim() + "', expected KEY=VALUE");
      }
      if (!keys.contains(key)) {
        throw new IllegalArgumentException("unknown key '" + key + "'; use " + String.join(", ", keys));
      }
      if (v.containsKey(key)) {
        throw new IllegalArgumentException(key + " is given twice");
      }
      int value;
      try {
        value = Integer.parseInt(kv[1].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(key + " must be an integer, got '" + kv[1].trim() + "'");
      }
      if (value < 1) {
        throw new IllegalArgumentException(key + " must be >= 1, got " + value);
      }
      v.put(key, value);
    }
    List<String> missing = keys.stream().filter(k -> !v.containsKey(k)).toList();
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException("missing " + String.join(", ", missing) + "; give all of "
          + String.join(", ", keys));
    }
    return v;
  }
}
