package io.tandem.model;

import io.tandem.kernels.Backend;
import io.tandem.kernels.DeviceBuffer;

/**
 * One named weight matrix (or vector: {@code rows == 1}) of a layer, with its gradient and the
 * optimizer's state slots. Gradients accumulate (W passes add into {@link #grad()}) until
 * {@link #zeroGrad()}, so all microbatches of a step sum into them (flush semantics).
 */
public final class Parameter {
  private final String name;
  private final int rows;
  private final int cols;
  private final boolean decay;
  private final Backend backend;
  private final DeviceBuffer value;
  private final DeviceBuffer grad;
  private DeviceBuffer[] state = new DeviceBuffer[0];

  /**
   * @param decay whether weight decay applies (matrices yes; biases, norms, embeddings no)
   */
  public Parameter(Backend backend, String name, int rows, int cols, boolean decay) {
    this.backend = backend;
    this.name = name;
    this.rows = rows;
    this.cols = cols;
    this.decay = decay;
    this.value = backend.allocate(size());
    this.grad = backend.allocate(size());
  }

  public String name() {
    return name;
  }

  public int rows() {
    return rows;
  }

  public int cols() {
    return cols;
  }

  public long size() {
    return (long) rows * cols;
  }

  public boolean decay() {
    return decay;
  }

  public DeviceBuffer value() {
    return value;
  }

  public DeviceBuffer grad() {
    return grad;
  }

  public Backend backend() {
    return backend;
  }

  /** Sets every gradient element to zero. */
  public void zeroGrad() {
    backend.fill(grad, 0, size(), 0f);
  }

  /** Copies host values into the parameter. */
  public void set(float[] values) {
    checkLength(values.length);
    backend.upload(values, 0, value, 0, values.length);
  }

  /** The parameter's values, copied to the host. */
  public float[] get() {
    float[] out = new float[Math.toIntExact(size())];
    backend.download(value, 0, out, 0, out.length);
    return out;
  }

  /** Replaces the gradient with host values (a data-parallel reduction's result). */
  public void setGradient(float[] values) {
    checkLength(values.length);
    backend.upload(values, 0, grad, 0, values.length);
  }

  /** The gradient, copied to the host. */
  public float[] gradient() {
    float[] out = new float[Math.toIntExact(size())];
    backend.download(grad, 0, out, 0, out.length);
    return out;
  }

  /**
   * The optimizer's state slots (momentum, second moment), allocated zero-filled on first use;
   * asking for more slots than exist adds them.
   */
  public DeviceBuffer[] optimizerState(int slots) {
    if (state.length < slots) {
      DeviceBuffer[] grown = java.util.Arrays.copyOf(state, slots);
      for (int i = state.length; i < slots; i++) {
        grown[i] = backend.allocate(size());
      }
      state = grown;
    }
    return state.clone();
  }

  /** Number of optimizer state slots allocated so far. */
  public int optimizerSlots() {
    return state.length;
  }

  /** Frees value, gradient and optimizer state. */
  public void free() {
    backend.free(value);
    backend.free(grad);
    for (DeviceBuffer b : state) {
      backend.free(b);
    }
    state = new DeviceBuffer[0];
  }

  private void checkLength(int length) {
    if (length != size()) {
      throw new IllegalArgumentException(
          "parameter " + name + " has " + size() + " elements, got " + length);
    }
  }

  @Override
  public String toString() {
    return name + "[" + rows + "x" + cols + "]";
  }
}
