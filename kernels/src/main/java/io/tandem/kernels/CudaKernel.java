package io.tandem.kernels;

import static io.tandem.kernels.CudaKernel.Arg.F32;
import static io.tandem.kernels.CudaKernel.Arg.I32;
import static io.tandem.kernels.CudaKernel.Arg.I64;
import static io.tandem.kernels.CudaKernel.Arg.PTR;

import java.util.List;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

/**
 * Every kernel of {@code tandem_kernels.fatbin} with its parameter list. Launch arguments are
 * checked against it on every launch, and a test checks it against the PTX signatures, so a
 * Java/CUDA mismatch fails loudly instead of corrupting memory.
 */
enum CudaKernel {
  FILL("fill_f32", PTR, I64, F32),
  COPY("copy_f32", PTR, PTR, I64),
  AXPY("axpy_f32", I64, F32, PTR, PTR),
  ADD("add_f32", I64, PTR, PTR, PTR),
  SCALE("scale_f32", I64, F32, PTR),
  BIAS_ADD("bias_add_f32", PTR, PTR, I32, I32),
  COLUMN_SUM_PARTIAL("column_sum_partial_f32", PTR, PTR, I32, I32, I32),
  COLUMN_SUM_FINISH("column_sum_finish_f32", PTR, PTR, I32, I32),
  GELU("gelu_f32", I64, PTR, PTR),
  GELU_BACKWARD("gelu_backward_f32", I64, PTR, PTR, PTR),
  ADAMW("adamw_f32", I64, PTR, PTR, PTR, PTR, F32, F32, F32, F32, F32, F32, F32),
  SGD("sgd_f32", I64, PTR, PTR, PTR, F32, F32, F32),
  LAYERNORM("layernorm_f32", PTR, PTR, PTR, PTR, PTR, PTR, I32, I32, F32),
  LAYERNORM_BACKWARD_INPUT("layernorm_backward_input_f32", PTR, PTR, PTR, PTR, PTR, PTR, I32, I32),
  LAYERNORM_BACKWARD_WEIGHT_PARTIAL("layernorm_backward_weight_partial_f32",
      PTR, PTR, PTR, PTR, PTR, PTR, I32, I32, I32),
  SOFTMAX("softmax_f32", PTR, PTR, I32, I32),
  CAUSAL_SOFTMAX("causal_softmax_f32", PTR, PTR, I32, I32, F32),
  SOFTMAX_BACKWARD("softmax_backward_f32", PTR, PTR, PTR, I32, I32, F32),
  CROSS_ENTROPY("cross_entropy_f32", PTR, PTR, PTR, PTR, I32, I32, F32),
  EMBEDDING_FORWARD("embedding_forward_f32", PTR, PTR, PTR, I32, I32, I32),
  EMBEDDING_BACKWARD("embedding_backward_f32", PTR, PTR, PTR, I32, I32, I32),
  SUM_SQUARES_PARTIAL("sum_squares_partial_f32", PTR, I64, PTR),
  SUM_PARTIALS("sum_partials_f64", PTR, I32, PTR),
  SGEMM_NN("sgemm_nn", Gemm.ARGS),
  SGEMM_NT("sgemm_nt", Gemm.ARGS),
  SGEMM_TN("sgemm_tn", Gemm.ARGS),
  SGEMM_TT("sgemm_tt", Gemm.ARGS),
  TF32GEMM_NN("tf32gemm_nn", Gemm.ARGS),
  TF32GEMM_NT("tf32gemm_nt", Gemm.ARGS),
  TF32GEMM_TN("tf32gemm_tn", Gemm.ARGS),
  TF32GEMM_TT("tf32gemm_tt", Gemm.ARGS);

  /** A kernel parameter type, with the PTX type it compiles to. */
  enum Arg {
    /** A device pointer ({@link CUdeviceptr}). */
    PTR("u64"),
    /** {@code int} ({@link Integer}). */
    I32("u32"),
    /** {@code long long} ({@link Long}). */
    I64("u64"),
    /** {@code float} ({@link Float}). */
    F32("f32");

    final String ptxType;

    Arg(String ptxType) {
      this.ptxType = ptxType;
    }

    boolean accepts(Object value) {
      return switch (this) {
        case PTR -> value instanceof CUdeviceptr;
        case I32 -> value instanceof Integer;
        case I64 -> value instanceof Long;
        case F32 -> value instanceof Float;
      };
    }
  }

  /** The shared GEMM signature: m, n, k, alpha, A, aOff, lda, strideA, B, ..., beta, C, .... */
  private static final class Gemm {
    static final Arg[] ARGS = {I32, I32, I32, F32, PTR, I64, I32, I64, PTR, I64, I32, I64,
        F32, PTR, I64, I32, I64};
  }

  final String symbol;
  final List<Arg> args;

  CudaKernel(String symbol, Arg... args) {
    this.symbol = symbol;
    this.args = List.of(args);
  }

  /** The PTX parameter types this kernel must have. */
  List<String> ptxTypes() {
    return args.stream().map(a -> a.ptxType).toList();
  }

  /**
   * The {@code kernelParams} pointer for {@code cuLaunchKernel}: one pointer to each value.
   * Throws {@link IllegalStateException} when the values do not match the parameter list.
   */
  Pointer params(Object... values) {
    if (values.length != args.size()) {
      throw new IllegalStateException(symbol + " takes " + args.size() + " arguments, got " + values.length);
    }
    NativePointerObject[] ptrs = new NativePointerObject[values.length];
    for (int i = 0; i < values.length; i++) {
      Object v = values[i];
      Arg a = args.get(i);
      if (!a.accepts(v)) {
        throw new IllegalStateException(symbol + " argument " + i + " must be " + a + ", got "
            + (v == null ? "null" : v.getClass().getSimpleName()));
      }
      ptrs[i] = switch (a) {
        case PTR -> Pointer.to((CUdeviceptr) v);
        case I32 -> Pointer.to(new int[] {(Integer) v});
        case I64 -> Pointer.to(new long[] {(Long) v});
        case F32 -> Pointer.to(new float[] {(Float) v});
      };
    }
    return Pointer.to(ptrs);
  }
}
