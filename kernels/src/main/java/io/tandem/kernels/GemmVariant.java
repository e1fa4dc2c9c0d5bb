package io.tandem.kernels;

import java.util.Locale;

/** Which GEMM kernel {@link CudaBackend} runs. */
public enum GemmVariant {
  /** FP32 on the CUDA cores (tiled shared-memory kernel): matches the CPU within 1e-4. */
  FP32,
  /** TF32 tensor cores ({@code mma.sync}), FP32 accumulate: faster, about 1e-3 relative error. */
  TF32;

  /** System property that picks the default variant: {@code fp32} (default) or {@code tf32}. */
  public static final String PROPERTY = "tandem.cuda.gemm";

  /** Parses {@code fp32} or {@code tf32} (any case). */
  public static GemmVariant parse(String s) {
    try {
      return valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown GEMM variant '" + s + "' (use fp32 or tf32)");
    }
  }

  /** The variant named by the system property {@value #PROPERTY}, else FP32. */
  public static GemmVariant fromSystemProperty() {
    String s = System.getProperty(PROPERTY);
    return s == null || s.isBlank() ? FP32 : parse(s);
  }
}
