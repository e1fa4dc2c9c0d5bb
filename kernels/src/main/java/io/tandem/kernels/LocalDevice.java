package io.tandem.kernels;

/**
 * One device of this machine, as a node reports it in its registration.
 *
 * @param kind {@code cpu} or {@code cuda}
 * @param ordinal its ordinal among this machine's devices of its kind (the CUDA ordinal for cuda)
 * @param name e.g. {@code NVIDIA H200}
 * @param memoryBytes memory the backend can use (GPU memory for cuda)
 * @param threads compute threads (CPU) or streaming multiprocessors (GPU)
 * @param computeCapability cuda only, e.g. {@code 9.0} (empty otherwise)
 * @param driverVersion cuda only: {@code cuDriverGetVersion}, e.g. 13000 (0 otherwise)
 * @param fake a {@link FakeCuda} test device computing on the CPU
 */
public record LocalDevice(String kind, int ordinal, String name, long memoryBytes, int threads,
    String computeCapability, int driverVersion, boolean fake) {}
