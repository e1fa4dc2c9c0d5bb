package io.tandem.planner;

/**
 * Prefix sums over a profile's layers, so any layer range's time and bytes cost O(1) (the
 * partitioner asks for {@code O(V L^2)} of them).
 */
final class ProfileSums {
  private final double[] f;
  private final double[] b;
  private final double[] w;
  private final long[] stat;
  private final long[] params;
  private final long[] grads;
  private final long[] bOnly;
  private final long[] wFwd;
  private final long[] wBwd;
  private final long[] output;
  private final ModelProfile profile;

  ProfileSums(ModelProfile profile) {
    this.profile = profile;
    int n = profile.numLayers();
    f = new double[n + 1];
    b = new double[n + 1];
    w = new double[n + 1];
    stat = new long[n + 1];
    params = new long[n + 1];
    grads = new long[n + 1];
    bOnly = new long[n + 1];
    wFwd = new long[n + 1];
    wBwd = new long[n + 1];
    output = new long[n];
    for (int i = 0; i < n; i++) {
      LayerProfile l = profile.layer(i);
      f[i + 1] = f[i] + l.forwardMs();
      b[i + 1] = b[i] + l.backwardInputMs();
      w[i + 1] = w[i] + l.backwardWeightMs();
      stat[i + 1] = stat[i] + l.staticBytes();
      params[i + 1] = params[i] + l.parameterBytes();
      grads[i + 1] = grads[i] + l.gradientBytes();
      bOnly[i + 1] = bOnly[i] + l.activationBytesForB();
      wFwd[i + 1] = wFwd[i] + l.activationBytesForW();
      wBwd[i + 1] = wBwd[i] + l.gradientBytesForW();
      output[i] = l.outputBytes();
    }
  }

  ModelProfile profile() {
    return profile;
  }

  int layers() {
    return output.length;
  }

  double f(int from, int to) {
    return f[to] - f[from];
  }

  double b(int from, int to) {
    return b[to] - b[from];
  }

  double w(int from, int to) {
    return w[to] - w[from];
  }

  double total(int from, int to) {
    return f(from, to) + b(from, to) + w(from, to);
  }

  long staticBytes(int from, int to) {
    return stat[to] - stat[from];
  }

  long parameterBytes(int from, int to) {
    return params[to] - params[from];
  }

  long gradientBytes(int from, int to) {
    return grads[to] - grads[from];
  }

  long bOnly(int from, int to) {
    return bOnly[to] - bOnly[from];
  }

  long wFromForward(int from, int to) {
    return wFwd[to] - wFwd[from];
  }

  long wFromBackward(int from, int to) {
    return wBwd[to] - wBwd[from];
  }

  /** Held from F until B for one microbatch without recomputation. */
  long afterForward(int from, int to) {
    return bOnly(from, to) + wFromForward(from, to);
  }

  /** What a recomputing chunk keeps per microbatch: its input (the previous layer's output). */
  long inputBytes(int from) {
    return from == 0 ? 0 : output[from - 1];
  }

  /** Output of layer {@code i}. */
  long outputBytes(int i) {
    return output[i];
  }
}
