package io.tandem.cli;

import io.tandem.bench.GemmBenchmark;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code tandem bench gemm}: float32 GEMM GFLOP/s of the CPU backend next to EJML. */
@Command(name = "gemm", mixinStandardHelpOptions = true,
    description = "Float32 n x n x n GEMM GFLOP/s of the CPU backend and of EJML, side by side.")
public final class BenchGemmCommand implements Runnable {
  @Spec CommandSpec spec;

  @Option(names = "--size", defaultValue = "1024", description = "Matrix size n (default ${DEFAULT-VALUE}).")
  int size;

  @Option(names = "--threads", description = "Compute threads (default: all processors).")
  Integer threads;

  @Option(names = "--warmup", defaultValue = "2", description = "Warm-up seconds per library (default ${DEFAULT-VALUE}).")
  double warmup;

  @Option(names = "--seconds", defaultValue = "3", description = "Measured seconds per library (default ${DEFAULT-VALUE}).")
  double seconds;

  @Option(names = "--json", description = "Print one JSON object (keys tandemGflops, ejmlGflops, ...).")
  boolean json;

  @Override
  public void run() {
    int t = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
    GemmBenchmark.Result r = GemmBenchmark.run(new GemmBenchmark.Options(size, t, warmup, seconds));
    PrintWriter out = spec.commandLine().getOut();
    out.print(json ? r.toJson() + System.lineSeparator() : r.toText());
    out.flush();
  }
}
