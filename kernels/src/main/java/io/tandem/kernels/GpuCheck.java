package io.tandem.kernels;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * The GPU node check ({@code tandem bench gpu-check}, {@code kernels/gpu-check.sh}): every CUDA
 * op against the CPU backend (FP32 within {@value BackendComparison#FP32_TOLERANCE}, TF32 GEMM
 * within {@value BackendComparison#TF32_TOLERANCE}), then GEMM throughput of both CUDA kernels.
 * Prints short tables; {@link #run} returns whether every op agreed.
 */
public final class GpuCheck {
  private final PrintWriter out;

  public GpuCheck(PrintWriter out) {
    this.out = out;
  }

  /**
   * Runs the check on CUDA device {@code device}; the benchmark multiplies {@code gemmSize}
   * square matrices (skipped when {@code gemmSize} is 0). False when CUDA is unavailable or an
   * op disagrees.
   */
  public boolean run(int device, int gemmSize) {
    CudaAvailability a = CudaAvailability.probe();
    if (!a.available()) {
      out.println("gpu-check: CUDA unavailable: " + a.reason());
      out.flush();
      return false;
    }
    boolean ok;
    try (CudaBackend fp32 = CudaBackend.open(device, GemmVariant.FP32);
        CudaBackend tf32 = CudaBackend.open(device, GemmVariant.TF32);
        CpuBackend cpu = CpuBackend.create()) {
      DeviceInfo d = fp32.info();
      out.printf("device %d: %s, %d SMs, %.1f GiB; CUDA driver %d.%d; cpu reference: %d threads%n", device,
          d.name(), d.threads(), d.memoryBytes() / (double) (1L << 30), a.driverVersion() / 1000,
          a.driverVersion() % 1000 / 10, cpu.threads());
      out.println();
      List<BackendComparison.Result> results = new ArrayList<>(
          new BackendComparison(fp32, cpu, 1).all(BackendComparison.FP32_TOLERANCE));
      for (BackendComparison.Result r : new BackendComparison(tf32, cpu, 2).gemms(BackendComparison.TF32_TOLERANCE)) {
        results.add(new BackendComparison.Result("tf32 " + r.op(), r.error(), r.tolerance()));
      }
      out.print(BackendComparison.table(results));
      out.flush();
      ok = results.stream().allMatch(BackendComparison.Result::passed);
      if (gemmSize > 0) {
        out.println();
        out.printf("%-28s  %9s  %8s%n", "GEMM " + gemmSize + "^3 (float32 in/out)", "ms", "TFLOP/s");
        for (CudaBackend b : List.of(fp32, tf32)) {
          GemmTimer.Timing t = GemmTimer.time(b, gemmSize, 3, 2.0);
          out.printf("%-28s  %9.3f  %8.2f%n", "tandem " + b.gemmVariant().name().toLowerCase(java.util.Locale.ROOT),
              t.millis(), t.tflops());
          out.flush();
        }
      }
    }
    out.println();
    out.println(ok ? "gpu-check: ok" : "gpu-check: FAILED (ops above marked FAIL)");
    out.flush();
    return ok;
  }
}
