package io.tandem.cli;

import io.tandem.kernels.Backend;
import io.tandem.model.Layer;
import io.tandem.model.LayerInfo;
import io.tandem.model.Microbatch;
import io.tandem.model.Model;
import io.tandem.model.ModelSpec;
import io.tandem.model.Tensor;
import io.tandem.model.data.CorpusDataset;
import io.tandem.model.data.Dataset;
import io.tandem.model.data.EuroparlCorpus;
import io.tandem.planner.LayerProfile;
import io.tandem.planner.ModelProfile;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Measures a model's layers on a real backend for the planner: each layer's F, B and W run on
 * one microbatch, the backend synchronized around each pass, the least of {@code repeat} timed
 * runs after one warm-up kept. Bytes come from the layers themselves (parameters, stash per
 * microbatch) and the measured output tensors; AdamW's two optimizer slots are assumed.
 */
final class LayerProfiler {
  private static final int ADAM_SLOTS = 2;

  private LayerProfiler() {}

  static ModelProfile measure(ModelSpec spec, Backend backend, String backendName, int microbatchSize, int repeat,
      long seed) {
    if (microbatchSize < 1) {
      throw new IllegalArgumentException("--microbatch-size must be >= 1, got " + microbatchSize);
    }
    if (repeat < 1) {
      throw new IllegalArgumentException("--repeat must be >= 1, got " + repeat);
    }
    Model model = spec.build(backend, seed);
    try {
      List<Layer> layers = model.layers();
      int n = layers.size();
      double[] f = new double[n];
      double[] b = new double[n];
      double[] w = new double[n];
      long[] out = new long[n];
      Arrays.fill(f, Double.POSITIVE_INFINITY);
      Arrays.fill(b, Double.POSITIVE_INFINITY);
      Arrays.fill(w, Double.POSITIVE_INFINITY);
      Dataset data = new CorpusDataset(EuroparlCorpus.shared());
      for (int run = 0; run <= repeat; run++) {
        boolean timed = run > 0;
        Microbatch mb = Microbatch.upload(backend, run, data.trainBatch(seed, 1, run, microbatchSize, spec.seqLen()), 1);
        try {
          Tensor cur = null;
          for (int i = 0; i < n; i++) {
            backend.synchronize();
            long t0 = System.nanoTime();
            Tensor next = layers.get(i).forward(mb, cur);
            backend.synchronize();
            keepMin(f, i, t0, timed);
            out[i] = next.bytes();
            if (cur != null) {
              cur.release();
            }
            cur = next;
          }
          cur.release();
          Tensor grad = null;
          for (int i = n - 1; i >= 0; i--) {
            backend.synchronize();
            long t0 = System.nanoTime();
            Tensor dx = layers.get(i).backwardInput(mb, grad);
            backend.synchronize();
            keepMin(b, i, t0, timed);
            if (grad != null) {
              grad.release();
            }
            grad = dx;
          }
          if (grad != null) {
            grad.release();
          }
          for (int i = 0; i < n; i++) {
            backend.synchronize();
            long t0 = System.nanoTime();
            layers.get(i).backwardWeight(mb);
            backend.synchronize();
            keepMin(w, i, t0, timed);
          }
          model.zeroGrad();
        } finally {
          mb.free(backend);
        }
      }
      List<LayerInfo> info = model.describe(microbatchSize);
      List<LayerProfile> profile = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        LayerInfo li = info.get(i);
        long params = li.parameters() * Float.BYTES;
        profile.add(new LayerProfile(li.name(), f[i], b[i], w[i], params, params, ADAM_SLOTS * params,
            li.stash().bOnly(), li.stash().wFromForward(), li.stash().wFromBackward(), out[i]));
      }
      return new ModelProfile(spec.name(), microbatchSize, "measured " + backendName + ", least of " + repeat, 0,
          profile);
    } finally {
      model.free();
    }
  }

  private static void keepMin(double[] times, int i, long t0, boolean timed) {
    if (timed) {
      times[i] = Math.min(times[i], (System.nanoTime() - t0) / 1e6);
    }
  }
}
