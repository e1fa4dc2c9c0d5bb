package io.tandem.kernels;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Helpers shared by the CPU backend tests. */
final class CpuTestSupport {
  private CpuTestSupport() {}

  /** The kernel paths this JVM can run (vector only with the incubator module). */
  static List<CpuBackend.Kernels> paths() {
    List<CpuBackend.Kernels> out = new ArrayList<>();
    out.add(CpuBackend.Kernels.SCALAR);
    if (CpuBackend.vectorApiAvailable()) {
      out.add(CpuBackend.Kernels.VECTOR);
    }
    return out;
  }

  static float[] random(SplittableRandom rnd, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (rnd.nextDouble() * 2 - 1);
    }
    return a;
  }

  static float[] randomPositive(SplittableRandom rnd, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (0.1 + rnd.nextDouble());
    }
    return a;
  }

  static DeviceBuffer put(Backend be, float[] host) {
    DeviceBuffer b = be.allocate(host.length);
    be.upload(host, 0, b, 0, host.length);
    return b;
  }

  static DeviceIntBuffer putInts(Backend be, int[] host) {
    DeviceIntBuffer b = be.allocateInts(host.length);
    be.uploadInts(host, 0, b, 0, host.length);
    return b;
  }

  static float[] get(Backend be, DeviceBuffer b) {
    float[] out = new float[(int) b.length()];
    be.download(b, 0, out, 0, out.length);
    return out;
  }
}
