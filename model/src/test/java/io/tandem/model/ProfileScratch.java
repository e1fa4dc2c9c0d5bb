package io.tandem.model;

import io.tandem.kernels.Backend;
import io.tandem.model.data.CorpusDataset;
import io.tandem.model.data.EuroparlCorpus;
import io.tandem.model.optim.AdamW;
import io.tandem.model.optim.LearningRate;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ProfileScratch {
  @Test
  void profile() {
    Backend real = TestSupport.cpu(2);
    Map<String, long[]> t = new TreeMap<>();
    Backend b = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
        (p, m, a) -> {
          long t0 = System.nanoTime();
          Object r;
          try { r = m.invoke(real, a); } catch (java.lang.reflect.InvocationTargetException e) { throw e.getCause(); }
          String k = m.getName();
          if (k.startsWith("gemm")) k = k + (((Boolean) a[0]) ? "T" : "N") + (((Boolean) a[1]) ? "T" : "N") + " " + a[2] + "x" + a[3] + "x" + a[4];
          long[] v = t.computeIfAbsent(k, x -> new long[2]);
          v[0] += System.nanoTime() - t0; v[1]++;
          return r;
        });
    Model model = Presets.GPT_TINY.build(b, 1);
    Trainer tr = new Trainer(b, model, AdamW.defaults(), LearningRate.constant(1e-3f), 1.0);
    CorpusDataset data = new CorpusDataset(EuroparlCorpus.shared());
    tr.step(data, 1, 1, 1, 8);
    t.clear();
    long t0 = System.nanoTime();
    for (int s = 2; s < 5; s++) tr.step(data, 1, s, 1, 8);
    System.out.printf("total %.3f s%n", (System.nanoTime() - t0) / 1e9);
    t.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue()[0], x.getValue()[0])).limit(25)
        .forEach(e -> System.out.printf("%-40s %8.1f ms %6d calls%n", e.getKey(), e.getValue()[0] / 1e6, e.getValue()[1]));
  }
}
