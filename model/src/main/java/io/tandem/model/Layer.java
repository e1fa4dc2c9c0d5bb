package io.tandem.model;

import java.util.List;

/**
 * One layer with separate forward (F), input-gradient (B) and weight-gradient (W) passes.
 *
 * <p>Passes are keyed by {@link Microbatch#id()}: F stashes what B and W need for that
 * microbatch, B computes the gradient w.r.t. the input and releases what only B needed (it
 * stashes the output gradient when W needs it), W adds the weight gradients into
 * {@link Parameter#grad()} and releases the rest. Several microbatches may be in flight, and
 * other ops may run between B and W of one microbatch. {@link #backward} is B then W, so both
 * give bitwise the same gradients.
 *
 * <p>Tensors passed in are borrowed (a layer that keeps one retains it); tensors returned are
 * owned by the caller, who releases them. The first layer of a model takes {@code null} input
 * (it reads {@link Microbatch#inputs()}) and returns {@code null} from B; the last takes
 * {@code null} output gradient (it starts from its loss).
 */
public interface Layer {

  /** Name, unique in its model, e.g. {@code block3}; parameter names start with it. */
  String name();

  /** The parameters in their fixed order (may be empty). */
  List<Parameter> parameters();

  /** F: the output for this microbatch; stashes what B and W need under its id. */
  Tensor forward(Microbatch mb, Tensor input);

  /** B: the gradient w.r.t. the input ({@code null} for the first layer of a model). */
  Tensor backwardInput(Microbatch mb, Tensor gradOutput);

  /** W: accumulates the weight gradients of this microbatch and releases its stash. */
  void backwardWeight(Microbatch mb);

  /** B then W. */
  default Tensor backward(Microbatch mb, Tensor gradOutput) {
    Tensor dx = backwardInput(mb, gradOutput);
    backwardWeight(mb);
    return dx;
  }

  /** Drops whatever is stashed for this microbatch (after an aborted step, or inference). */
  void discard(int microbatch);

  /** Bytes stashed now, over all microbatches in flight. */
  long stashedBytes();

  /** Bytes this layer stashes for one microbatch of this shape. */
  StashBytes stashBytes(int batchSize, int seqLen);

  /** Matrix-multiply work of each pass for one microbatch of this shape. */
  PassFlops flops(int batchSize, int seqLen);

  /** Number of trainable scalars. */
  default long parameterCount() {
    long n = 0;
    for (Parameter p : parameters()) {
      n += p.size();
    }
    return n;
  }

  /** Bytes of the weights (float32). */
  default long parameterBytes() {
    return parameterCount() * Float.BYTES;
  }

  /** Sum of squares of all gradients, parameter by parameter in order, in double. */
  default double gradSumOfSquares() {
    double s = 0;
    for (Parameter p : parameters()) {
      s += p.backend().sumOfSquares(p.grad(), 0, p.size());
    }
    return s;
  }

  /** Zeroes the gradients. */
  default void zeroGrad() {
    for (Parameter p : parameters()) {
      p.zeroGrad();
    }
  }

  /** Frees the parameters (and any cached buffers); the layer is unusable afterwards. */
  default void free() {
    for (Parameter p : parameters()) {
      p.free();
    }
  }
}
