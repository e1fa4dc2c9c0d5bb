package io.tandem.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Per-microbatch stash of one layer: the tensors it keeps, keyed by microbatch id. */
final class Stashes {
  private final String layer;
  private final Map<Integer, Map<String, Tensor>> byMicrobatch = new HashMap<>();

  Stashes(String layer) {
    this.layer = layer;
  }

  /** Keeps {@code t} (retained) under {@code key} for microbatch {@code mb}. */
  void keep(int mb, String key, Tensor t) {
    Tensor old = byMicrobatch.computeIfAbsent(mb, k -> new HashMap<>()).put(key, t.retain());
    if (old != null) {
      old.release();
      throw new IllegalStateException(layer + ": microbatch " + mb + " already has " + key
          + " stashed (forward run twice without backward?)");
    }
  }

  /** Keeps a tensor the caller created and hands over (no extra retain). */
  void own(int mb, String key, Tensor t) {
    keep(mb, key, t);
    t.release();
  }

  /** The stashed tensor, still stashed. */
  Tensor get(int mb, String key) {
    Map<String, Tensor> m = byMicrobatch.get(mb);
    Tensor t = m == null ? null : m.get(key);
    if (t == null) {
      throw new IllegalStateException(layer + ": nothing stashed as " + key + " for microbatch " + mb
          + " (missing forward/backwardInput, or already released)");
    }
    return t;
  }

  /** Whether something is stashed under this key. */
  boolean has(int mb, String key) {
    Map<String, Tensor> m = byMicrobatch.get(mb);
    return m != null && m.containsKey(key);
  }

  /** Releases one stashed tensor. */
  void release(int mb, String key) {
    get(mb, key);
    Map<String, Tensor> m = byMicrobatch.get(mb);
    m.remove(key).release();
    if (m.isEmpty()) {
      byMicrobatch.remove(mb);
    }
  }

  /** Releases everything stashed for a microbatch. */
  void releaseAll(int mb) {
    Map<String, Tensor> m = byMicrobatch.remove(mb);
    if (m != null) {
      for (Tensor t : new ArrayList<>(m.values())) {
        t.release();
      }
    }
  }

  /** Bytes held over all microbatches. */
  long bytes() {
    long n = 0;
    for (Map<String, Tensor> m : byMicrobatch.values()) {
      for (Tensor t : m.values()) {
        n += t.bytes();
      }
    }
    return n;
  }

  /** Ids of microbatches with something stashed. */
  List<Integer> microbatches() {
    return new ArrayList<>(byMicrobatch.keySet());
  }
}
