package io.tandem.kernels;

import java.util.concurrent.Executor;

/**
 * One compute device: memory, an ordered executor, and the ops Tandem's layers need.
 *
 * <p>Conventions for every op:
 * <ul>
 *   <li>Matrices are row-major float32; offsets and leading dimensions count elements.
 *   <li>Ops are issued in program order; a backend may run them asynchronously (a CUDA stream)
 *       but in order. {@link #download} and {@link #synchronize} wait for everything before them.
 *   <li>Calls for one backend come from one thread at a time: the thread of {@link #executor()}
 *       (the runtime's compute executor), or the caller's thread in single-threaded code.
 *   <li>Reductions run in a fixed order, so the CPU backend is bit-for-bit deterministic
 *       whatever its thread count. Ops documented "accumulates" add into their output.
 *   <li>Bad arguments (sizes, foreign buffers) throw {@link IllegalArgumentException}.
 * </ul>
 */
public interface Backend extends AutoCloseable {

  /** Short name, e.g. {@code cpu} or {@code cuda:0}. */
  String name();

  /** What this device is (kind, memory, threads). */
  DeviceInfo info();

  /**
   * The single-threaded executor compute for this device runs on (a CUDA context is current on
   * it). Actors submit work here and get the result back as a message.
   */
  Executor executor();

  // ---- memory ----

  /** A zero-filled float buffer of {@code elements} floats (may reuse a freed one). */
  DeviceBuffer allocate(long elements);

  /** A zero-filled int buffer of {@code elements} ints. */
  DeviceIntBuffer allocateInts(long elements);

  /** Returns the buffer to the pool; using it afterwards is an error. */
  void free(DeviceBuffer buffer);

  void free(DeviceIntBuffer buffer);

  /** Bytes currently allocated (live buffers). */
  long allocatedBytes();

  /** Highest {@link #allocatedBytes()} since creation or the last {@link #resetPeak()}. */
  long peakAllocatedBytes();

  void resetPeak();

  /** Copies {@code length} floats from {@code src[srcOffset..]} to {@code dst[dstOffset..]}. */
  void upload(float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int length);

  /** Copies {@code length} floats from {@code src[srcOffset..]} into {@code dst[dstOffset..]}. */
  void download(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int length);

  void uploadInts(int[] src, int srcOffset, DeviceIntBuffer dst, long dstOffset, int length);

  /** Waits for every op issued so far. */
  void synchronize();

  // ---- elementwise ----

  /** {@code buf[offset .. offset+n) = value}. */
  void fill(DeviceBuffer buf, long offset, long n, float value);

  /** {@code dst[dstOffset + i] = src[srcOffset + i]} for {@code i < n}. */
  void copy(DeviceBuffer src, long srcOffset, DeviceBuffer dst, long dstOffset, long n);

  /** {@code y[i] += alpha * x[i]} for {@code i < n} (accumulates). */
  void axpy(long n, float alpha, DeviceBuffer x, DeviceBuffer y);

  /** {@code out[i] = a[i] + b[i]}; {@code out} may alias {@code a} or {@code b}. */
  void add(long n, DeviceBuffer a, DeviceBuffer b, DeviceBuffer out);

  /** {@code x[i] *= alpha}. */
  void scale(long n, float alpha, DeviceBuffer x);

  /** Sum of squares of {@code x[offset .. offset+n)}, accumulated in double in a fixed order. */
  double sumOfSquares(DeviceBuffer x, long offset, long n);

  // ---- matrix multiply ----

  /**
   * {@code C = alpha * op(A) * op(B) + beta * C} with {@code op(A)} of shape m x k and
   * {@code op(B)} of shape k x n; {@code transA} means A is stored k x m (row-major, leading
   * dimension {@code lda}), likewise B. With {@code beta == 0} C's old contents are ignored
   * (NaN included).
   */
  void gemm(boolean transA, boolean transB, int m, int n, int k,
      float alpha, DeviceBuffer a, long aOffset, int lda,
      DeviceBuffer b, long bOffset, int ldb,
      float beta, DeviceBuffer c, long cOffset, int ldc);

  /**
   * {@link #gemm} for {@code batch} independent problems; problem {@code i} reads A at
   * {@code aOffset + i*strideA}, B at {@code bOffset + i*strideB}, writes C at
   * {@code cOffset + i*strideC}.
   */
  void gemmStridedBatched(boolean transA, boolean transB, int m, int n, int k,
      float alpha, DeviceBuffer a, long aOffset, int lda, long strideA,
      DeviceBuffer b, long bOffset, int ldb, long strideB,
      float beta, DeviceBuffer c, long cOffset, int ldc, long strideC, int batch);

  // ---- bias ----

  /** {@code out[r][c] += bias[c]} for a rows x cols matrix. */
  void biasAdd(DeviceBuffer out, DeviceBuffer bias, int rows, int cols);

  /** {@code dBias[c] += sum over r of dOut[r][c]}, summed over r in increasing order (accumulates). */
  void biasGrad(DeviceBuffer dOut, DeviceBuffer dBias, int rows, int cols);

  // ---- activations ----

  /** {@code y = gelu(x)} (tanh approximation) over n elements. */
  void gelu(long n, DeviceBuffer x, DeviceBuffer y);

  /** {@code dx = dy * gelu'(x)} over n elements (overwrites dx). */
  void geluBackward(long n, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx);

  // ---- layer norm (rows x cols, normalized over cols) ----

  /**
   * {@code y = (x - mean) * rstd * gamma + beta} per row; writes each row's mean and
   * 1/sqrt(var + eps) to {@code mean} and {@code rstd} (length rows) for the backward pass.
   */
  void layerNorm(DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
      DeviceBuffer mean, DeviceBuffer rstd, int rows, int cols, float eps);

  /** Input gradient of {@link #layerNorm} (B pass): overwrites {@code dx}. */
  void layerNormBackwardInput(DeviceBuffer dy, DeviceBuffer x, DeviceBuffer gamma,
      DeviceBuffer mean, DeviceBuffer rstd, DeviceBuffer dx, int rows, int cols);

  /** Weight gradients of {@link #layerNorm} (W pass): accumulates into dGamma and dBeta. */
  void layerNormBackwardWeight(DeviceBuffer dy, DeviceBuffer x, DeviceBuffer mean,
      DeviceBuffer rstd, DeviceBuffer dGamma, DeviceBuffer dBeta, int rows, int cols);

  // ---- softmax and attention ----

  /** Row-wise softmax of a rows x cols matrix: {@code y = softmax(x)}. */
  void softmax(DeviceBuffer x, DeviceBuffer y, int rows, int cols);

  /**
   * Causal softmax of {@code count} square T x T score matrices, stored back to back:
   * {@code probs[i][t][s] = softmax_s(scale * scores[i][t][s])} over {@code s <= t}, 0 for
   * {@code s > t}.
   */
  void causalSoftmax(DeviceBuffer scores, DeviceBuffer probs, int count, int t, float scale);

  /**
   * Softmax backward for rows x cols: {@code dx = scale * y * (dy - sum_c(dy * y))} (rows of y
   * with zeros, as causalSoftmax leaves them, give zero gradient there). Overwrites dx.
   */
  void softmaxBackward(DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int rows, int cols, float scale);

  // ---- loss ----

  /**
   * Softmax cross-entropy over rows x vocab logits: writes each row's loss to {@code losses}
   * (length rows) and {@code dLogits = gradScale * (softmax(logits) - onehot(target))}.
   * A target of -1 marks a row to ignore (loss 0, gradient 0).
   */
  void crossEntropy(DeviceBuffer logits, DeviceIntBuffer targets, DeviceBuffer losses,
      DeviceBuffer dLogits, int rows, int vocab, float gradScale);

  // ---- embedding ----

  /** {@code out[r] = table[ids[r]]} for rows of width dim. */
  void embeddingForward(DeviceBuffer table, DeviceIntBuffer ids, DeviceBuffer out, int rows, int dim);

  /** {@code dTable[ids[r]] += dOut[r]}, rows in increasing order (accumulates). */
  void embeddingBackward(DeviceBuffer dOut, DeviceIntBuffer ids, DeviceBuffer dTable, int rows, int dim);

  // ---- optimizers ----

  /**
   * One AdamW step over n parameters, bias-corrected for {@code step} (1-based):
   * decoupled weight decay {@code p -= lr * weightDecay * p}, then the Adam update.
   */
  void adamw(long n, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v,
      float lr, float beta1, float beta2, float eps, float weightDecay, int step);

  /** SGD with momentum: {@code vel = momentum * vel + grad + wd * p; p -= lr * vel}. */
  void sgd(long n, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer velocity,
      float lr, float momentum, float weightDecay);

  /** Releases the device (pools, streams, executor). */
  @Override
  void close();
}
