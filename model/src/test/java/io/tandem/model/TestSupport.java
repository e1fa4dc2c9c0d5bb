package io.tandem.model;

import io.tandem.kernels.Backend;
import io.tandem.kernels.CpuBackend;
import io.tandem.model.data.TokenBatch;

/** Shared helpers for the model tests. */
final class TestSupport {
  private TestSupport() {}

  /** A CPU backend with this many threads. */
  static Backend cpu(int threads) {
    return CpuBackend.create(threads);
  }

  /** A microbatch of random tokens/targets, loss scale 1 (or the given one). */
  static Microbatch randomMicrobatch(Backend backend, int id, int batch, int seqLen, int vocab, long seed,
      float lossScale) {
    SplitMix64 rng = SplitMix64.keyed(seed, id);
    int n = batch * seqLen;
    int[] in = new int[n];
    int[] tg = new int[n];
    for (int i = 0; i < n; i++) {
      in[i] = rng.nextInt(vocab);
      tg[i] = i % 5 == 4 ? -1 : rng.nextInt(vocab);
    }
    TokenBatch tb = new TokenBatch(batch, seqLen, in, tg);
    Microbatch up = Microbatch.upload(backend, id, tb, 1);
    return new Microbatch(id, batch, seqLen, up.inputs(), up.targets(), lossScale);
  }

  static float[] gaussians(long seed, int n, double std) {
    return SplitMix64.keyed(seed, 77).gaussians(n, std);
  }

  /** Replaces every parameter with larger random values (stronger gradient checks). */
  static void randomize(Layer layer, long seed, double std) {
    int i = 0;
    for (Parameter p : layer.parameters()) {
      float[] v = SplitMix64.keyed(seed, 991, i++).gaussians(Math.toIntExact(p.size()), std);
      if (p.name().endsWith(".weight") && p.rows() == 1) {
        for (int j = 0; j < v.length; j++) {
          v[j] += 1f; // layer-norm gain around 1
        }
      }
      p.set(v);
    }
  }
}
