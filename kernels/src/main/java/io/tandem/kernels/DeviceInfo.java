package io.tandem.kernels;

/**
 * What a device is, as reported to the planner and the coordinator.
 *
 * @param kind {@code cpu} or {@code cuda}
 * @param name human-readable name (CPU model, GPU name)
 * @param memoryBytes memory available to the backend
 * @param threads compute threads (CPU) or streaming multiprocessors (GPU)
 */
public record DeviceInfo(String kind, String name, long memoryBytes, int threads) {}
