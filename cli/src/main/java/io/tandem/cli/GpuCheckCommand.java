package io.tandem.cli;

import io.tandem.kernels.GpuCheck;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tandem bench gpu-check}: CUDA backend vs CPU on every op, then GEMM throughput. */
@Command(name = "gpu-check", mixinStandardHelpOptions = true,
    description = {"CUDA backend vs CPU backend on every op, then GEMM TFLOP/s.",
        "Agreement required: 1e-4 relative (TF32 GEMM: 1e-2). The benchmark times",
        "size^3 GEMM with the FP32 and the TF32 kernel. Exit code 0 when every op",
        "agrees, 1 otherwise (or without a CUDA device)."})
public final class GpuCheckCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--device", defaultValue = "0", description = "CUDA device ordinal (default ${DEFAULT-VALUE}).")
  int device;

  @Option(names = "--size", defaultValue = "4096",
      description = "GEMM benchmark size n (n x n x n; 0 skips the benchmark; default ${DEFAULT-VALUE}).")
  int size;

  @Override
  public Integer call() {
    if (device < 0) {
      throw new UserException("--device must be >= 0, got " + device);
    }
    if (size < 0) {
      throw new UserException("--size must be >= 0, got " + size);
    }
    return new GpuCheck(spec.commandLine().getOut()).run(device, size) ? 0 : 1;
  }
}
