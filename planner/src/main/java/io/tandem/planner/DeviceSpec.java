package io.tandem.planner;

/**
 * One device the planner may use.
 *
 * @param id stable name (a worker address, {@code gpu3}); replan identifies survivors by it
 * @param memoryBytes memory available to the job
 * @param speed relative compute speed (1 = the speed the profile was taken at)
 */
public record DeviceSpec(String id, long memoryBytes, double speed) {
  public DeviceSpec {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("a device needs an id");
    }
    if (memoryBytes <= 0) {
      throw new IllegalArgumentException("device " + id + ": memory must be > 0 bytes, got " + memoryBytes);
    }
    if (!(speed > 0) || Double.isInfinite(speed)) {
      throw new IllegalArgumentException("device " + id + ": speed must be a finite number > 0, got " + speed);
    }
  }
}
