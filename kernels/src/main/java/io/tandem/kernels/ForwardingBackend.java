package io.tandem.kernels;

import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * A {@link Backend} that passes every op to another one through {@link #call}, the one place a
 * subclass hooks in (fault injection, poisoning). Buffers stay the delegate's.
 */
abstract class ForwardingBackend implements Backend {
  protected final Backend delegate;

  ForwardingBackend(Backend delegate) {
    this.delegate = delegate;
  }

  /** Runs op {@code op} (its method name); subclasses wrap it. */
  protected abstract <T> T call(String op, Supplier<T> body);

  private void run(String op, Runnable body) {
    call(op, () -> {
      body.run();
      return null;
    });
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public DeviceInfo info() {
    return delegate.info();
  }

  @Override
  public Executor executor() {
    return delegate.executor();
  }

  @Override
  public DeviceBuffer allocate(long elements) {
    return call("allocate", () -> delegate.allocate(elements));
  }

  @Override
  public DeviceIntBuffer allocateInts(long elements) {
    return call("allocateInts", () -> delegate.allocateInts(elements));
  }

  @Override
  public void free(DeviceBuffer buffer) {
    run("free", () -> delegate.free(buffer));
  }

  @Override
  public void free(DeviceIntBuffer buffer) {
    run("free", () -> delegate.free(buffer));
  }

  @Override
  public long allocatedBytes() {
    return delegate.allocatedBytes();
  }

  @Override
  public long peakAllocatedBytes() {
    return delegate.peakAllocatedBytes();
  }

  @Override
  public void resetPeak() {
    delegate.resetPeak();
  }

  @Override
  public void upload(float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int length) {
    run("upload", () -> delegate.upload(src, srcOffset, dst, dstOffset, length));
  }

  @Override
  public void download(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int length) {
    run("download", () -> delegate.download(src, srcOffset, dst, dstOffset, length));
  }

  @Override
  public void uploadInts(int[] src, int srcOffset, DeviceIntBuffer dst, long dstOffset, int length) {
    run("uploadInts", () -> delegate.uploadInts(src, srcOffset, dst, dstOffset, length));
  }

  @Override
  public void synchronize() {
    run("synchronize", delegate::synchronize);
  }

  @Override
  public void fill(DeviceBuffer buf, long offset, long n, float value) {
    run("fill", () -> delegate.fill(buf, offset, n, value));
  }

  @Override
  public void copy(DeviceBuffer src, long srcOffset, DeviceBuffer dst, long dstOffset, long n) {
    run("copy", () -> delegate.copy(src, srcOffset, dst, dstOffset, n));
  }

  @Override
  public void axpy(long n, float alpha, DeviceBuffer x, DeviceBuffer y) {
    run("axpy", () -> delegate.axpy(n, alpha, x, y));
  }

  @Override
  public void add(long n, DeviceBuffer a, DeviceBuffer b, DeviceBuffer out) {
    run("add", () -> delegate.add(n, a, b, out));
  }

  @Override
  public void scale(long n, float alpha, DeviceBuffer x) {
    run("scale", () -> delegate.scale(n, alpha, x));
  }

  @Override
  public double sumOfSquares(DeviceBuffer x, long offset, long n) {
    return call("sumOfSquares", () -> delegate.sumOfSquares(x, offset, n));
  }

  @Override
  public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a,
      long aOffset, int lda, DeviceBuffer b, long bOffset, int ldb, float beta, DeviceBuffer c, long cOffset,
      int ldc) {
    run("gemm", () -> delegate.gemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c,
        cOffset, ldc));
  }

  @Override
  public void gemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
      DeviceBuffer a, long aOffset, int lda, long strideA, DeviceBuffer b, long bOffset, int ldb, long strideB,
      float beta, DeviceBuffer c, long cOffset, int ldc, long strideC, int batch) {
    run("gemmStridedBatched", () -> delegate.gemmStridedBatched(transA, transB, m, n, k, alpha, a, aOffset, lda,
        strideA, b, bOffset, ldb, strideB, beta, c, cOffset, ldc, strideC, batch));
  }

  @Override
  public void biasAdd(DeviceBuffer out, DeviceBuffer bias, int rows, int cols) {
    run("biasAdd", () -> delegate.biasAdd(out, bias, rows, cols));
  }

  @Override
  public void biasGrad(DeviceBuffer dOut, DeviceBuffer dBias, int rows, int cols) {
    run("biasGrad", () -> delegate.biasGrad(dOut, dBias, rows, cols));
  }

  @Override
  public void gelu(long n, DeviceBuffer x, DeviceBuffer y) {
    run("gelu", () -> delegate.gelu(n, x, y));
  }

  @Override
  public void geluBackward(long n, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx) {
    run("geluBackward", () -> delegate.geluBackward(n, x, dy, dx));
  }

  @Override
  public void layerNorm(DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y, DeviceBuffer mean,
      DeviceBuffer rstd, int rows, int cols, float eps) {
    run("layerNorm", () -> delegate.layerNorm(x, gamma, beta, y, mean, rstd, rows, cols, eps));
  }

  @Override
  public void layerNormBackwardInput(DeviceBuffer dy, DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer mean,
      DeviceBuffer rstd, DeviceBuffer dx, int rows, int cols) {
    run("layerNormBackwardInput", () -> delegate.layerNormBackwardInput(dy, x, gamma, mean, rstd, dx, rows, cols));
  }

  @Override
  public void layerNormBackwardWeight(DeviceBuffer dy, DeviceBuffer x, DeviceBuffer mean, DeviceBuffer rstd,
      DeviceBuffer dGamma, DeviceBuffer dBeta, int rows, int cols) {
    run("layerNormBackwardWeight",
        () -> delegate.layerNormBackwardWeight(dy, x, mean, rstd, dGamma, dBeta, rows, cols));
  }

  @Override
  public void softmax(DeviceBuffer x, DeviceBuffer y, int rows, int cols) {
    run("softmax", () -> delegate.softmax(x, y, rows, cols));
  }

  @Override
  public void causalSoftmax(DeviceBuffer scores, DeviceBuffer probs, int count, int t, float scale) {
    run("causalSoftmax", () -> delegate.causalSoftmax(scores, probs, count, t, scale));
  }

  @Override
  public void softmaxBackward(DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int rows, int cols, float scale) {
    run("softmaxBackward", () -> delegate.softmaxBackward(y, dy, dx, rows, cols, scale));
  }

  @Override
  public void crossEntropy(DeviceBuffer logits, DeviceIntBuffer targets, DeviceBuffer losses, DeviceBuffer dLogits,
      int rows, int vocab, float gradScale) {
    run("crossEntropy", () -> delegate.crossEntropy(logits, targets, losses, dLogits, rows, vocab, gradScale));
  }

  @Override
  public void embeddingForward(DeviceBuffer table, DeviceIntBuffer ids, DeviceBuffer out, int rows, int dim) {
    run("embeddingForward", () -> delegate.embeddingForward(table, ids, out, rows, dim));
  }

  @Override
  public void embeddingBackward(DeviceBuffer dOut, DeviceIntBuffer ids, DeviceBuffer dTable, int rows, int dim) {
    run("embeddingBackward", () -> delegate.embeddingBackward(dOut, ids, dTable, rows, dim));
  }

  @Override
  public void adamw(long n, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v, float lr,
      float beta1, float beta2, float eps, float weightDecay, int step) {
    run("adamw", () -> delegate.adamw(n, param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step));
  }

  @Override
  public void sgd(long n, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer velocity, float lr, float momentum,
      float weightDecay) {
    run("sgd", () -> delegate.sgd(n, param, grad, velocity, lr, momentum, weightDecay));
  }

  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "[" + delegate + "]";
  }
}
