package io.tandem.schedule;

import java.util.ArrayList;
import java.util.List;

/**
 * Interleaved 1F1B, Megatron-LM's virtual pipeline (Narayanan et al., 2021): each device holds
 * {@code c} chunks (interleaved placement, stage {@code v} on device {@code v mod p}). Microbatches
 * go through a device's chunks in groups of {@code p}: forward {@code k} of a device is chunk
 * {@code (k mod pc) / p} of microbatch {@code (k / pc) p + k mod p}, backwards mirror it from the
 * last chunk. Device {@code d} warms up with {@code 2(p-1-d) + (c-1)p} forwards (all of them
 * when {@code m = p}), then alternates forward and fused backward.
 *
 * <p>Chunks per device come from the spec; the spec default 1 means 2 (one chunk per device is
 * plain {@code 1f1b}). Needs {@code m} to be a multiple of {@code p}, like Megatron.
 */
public final class InterleavedOneFOneB implements ScheduleGenerator {
  public static final String NAME = "interleaved-1f1b";
  /** Chunks per device when the spec asks for 1. */
  public static final int DEFAULT_CHUNKS = 2;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "Megatron interleaved 1F1B: c chunks per device (default 2), m a multiple of p";
  }

  @Override
  public Schedule generate(ScheduleSpec spec) {
    int p = spec.devices();
    int m = spec.microbatches();
    int c = spec.chunksPerDevice() > 1 ? spec.chunksPerDevice() : DEFAULT_CHUNKS;
    if (m % p != 0) {
      throw new IllegalArgumentException(
          NAME + " needs microbatches to be a multiple of devices (m % p == 0), got m=" + m + ", p=" + p);
    }
    int total = m * c;
    List<List<Op>> ops = new ArrayList<>(p);
    for (int d = 0; d < p; d++) {
      int warmup = m == p ? total : Math.min(total, 2 * (p - 1 - d) + (c - 1) * p);
      List<Op> list = new ArrayList<>(2 * total);
      for (int k = 0; k < warmup; k++) {
        list.add(forward(k, d, p, c));
      }
      for (int k = 0; k < total - warmup; k++) {
        list.add(forward(warmup + k, d, p, c));
        list.add(backward(k, d, p, c));
      }
      for (int k = total - warmup; k < total; k++) {
        list.add(backward(k, d, p, c));
      }
      ops.add(list);
    }
    return new Schedule(NAME, m, Placement.interleaved(p, c), ops, spec.costs());
  }

  private static Op forward(int k, int d, int p, int c) {
    int within = k % (p * c);
    int mb = (k / (p * c)) * p + within % p;
    return Op.f(mb, (within / p) * p + d);
  }

  private static Op backward(int k, int d, int p, int c) {
    int within = k % (p * c);
    int mb = (k / (p * c)) * p + within % p;
    return Op.bw(mb, (c - 1 - within / p) * p + d);
  }
}
