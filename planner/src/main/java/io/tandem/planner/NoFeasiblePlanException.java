package io.tandem.planner;

import java.util.List;

/**
 * No configuration fits the devices' memory. The message is one line: which device is short and
 * by how much in the configuration closest to fitting, and what would fit.
 */
public final class NoFeasiblePlanException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String deviceId;
  private final long shortBytes;
  private final transient List<Alternative> alternatives;

  public NoFeasiblePlanException(String message, String deviceId, long shortBytes, List<Alternative> alternatives) {
    super(message);
    this.deviceId = deviceId;
    this.shortBytes = shortBytes;
    this.alternatives = List.copyOf(alternatives);
  }

  /** The short device of the configuration closest to fitting (null when none was scored). */
  public String deviceId() {
    return deviceId;
  }

  /** By how much it is short. */
  public long shortBytes() {
    return shortBytes;
  }

  /** Every family's closest configuration and why it does not fit. */
  public List<Alternative> alternatives() {
    return alternatives;
  }
}
