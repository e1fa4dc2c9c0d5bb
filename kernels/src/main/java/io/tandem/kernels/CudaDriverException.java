package io.tandem.kernels;

import jcuda.driver.CUresult;

/** A CUDA driver call failed; the message names the call, the error and what was being done. */
public final class CudaDriverException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int result;

  CudaDriverException(String call, int result, String context) {
    super(call + " failed: " + CUresult.stringFor(result) + (context.isEmpty() ? "" : " (" + context + ")"));
    this.result = result;
  }

  /** The driver's {@code CUresult} code. */
  public int result() {
    return result;
  }

  /** Throws unless {@code result} is {@code CUDA_SUCCESS}. */
  static void check(int result, String call) {
    check(result, call, "");
  }

  static void check(int result, String call, String context) {
    if (result != CUresult.CUDA_SUCCESS) {
      throw new CudaDriverException(call, result, context);
    }
  }
}
