package io.tandem.kernels;

import java.util.Optional;
import java.util.function.Supplier;
import jcuda.driver.CUresult;

/**
 * A stand-in GPU for tests on machines without one: named {@code cuda:<ordinal>}, kind
 * {@code cuda}, computing every op with a {@link CpuBackend}, so results equal the CPU
 * backend's bitwise. It can inject a driver error ({@link FakeCuda.Fault}) that, like a real
 * sticky error, repeats on every later op.
 */
final class FakeCudaBackend extends ForwardingBackend {
  private final int ordinal;
  private final DeviceInfo info;
  private final Optional<FakeCuda.Fault> fault;
  private int calls;
  private boolean failed;

  FakeCudaBackend(int ordinal, int threads, Optional<FakeCuda.Fault> fault) {
    super(CpuBackend.create(threads));
    this.ordinal = ordinal;
    this.fault = fault.filter(f -> f.ordinal() == ordinal);
    DeviceInfo cpu = delegate.info();
    this.info = new DeviceInfo("cuda", CudaDevices.FAKE_NAME, cpu.memoryBytes(), cpu.threads());
  }

  @Override
  protected <T> T call(String op, Supplier<T> body) {
    if (fault.isPresent() && (failed || (op.equals(fault.get().op()) && ++calls == fault.get().occurrence()))) {
      failed = true;
      throw new CudaDriverException("cuLaunchKernel", CUresult.CUDA_ERROR_ILLEGAL_ADDRESS,
          "fault injected by " + FakeCuda.FAULT + " in " + op);
    }
    return body.get();
  }

  @Override
  public String name() {
    return "cuda:" + ordinal;
  }

  @Override
  public DeviceInfo info() {
    return info;
  }
}
