package io.tandem.actors.coordinator;

import java.util.ArrayList;
import java.util.List;

/**
 * The automatic in-memory snapshot interval (a job's {@code snapshotEvery} left at its default):
 * every step while the first steps of an attempt are timed, then the smallest K whose estimated
 * snapshot cost, the largest device's layer state at {@value #BYTES_PER_SECOND} bytes a second,
 * stays within {@value #OVERHEAD} of K steps. A state copied in under {@value #MIN_MILLIS} ms is
 * kept every step whatever the step time (it is cheap, and one step is the most a failure should
 * cost): a small model keeps K = 1; a model whose state
 * takes long to copy next to its step (100M parameters on CPUs: 600 MB a worker, about 2 s a step)
 * snapshots every few steps instead of doubling its step time. Not thread-safe: the coordinator owns it.
 */
final class SnapshotInterval {
  /** What a snapshot is assumed to move a second per device: copy, seal, send, and the peer's receive and keep. */
  static final double BYTES_PER_SECOND = 250e6;
  /** The share of the step time the snapshots may take. */
  static final double OVERHEAD = 0.05;
  /** Snapshots estimated to take less than this are taken every step. */
  static final double MIN_MILLIS = 100;
  /** Steps timed, after the attempt's first, before K is chosen. */
  static final int STEPS_TIMED = 3;
  /** The largest K chosen: a lost node costs at most this many steps. */
  static final int MAX_EVERY = 100;

  private final List<Double> stepMillis = new ArrayList<>();
  private long stateBytes;
  private int every = 1;
  private boolean chosen;

  /** K for a device state of {@code stateBytes} and steps of {@code stepMillis}. */
  static int choose(long stateBytes, double stepMillis) {
    if (stateBytes <= 0 || stepMillis <= 0) {
      return 1;
    }
    double snapshotMillis = 1000.0 * stateBytes / BYTES_PER_SECOND;
    if (snapshotMillis < MIN_MILLIS) {
      return 1;
    }
    double k = Math.ceil(snapshotMillis / (OVERHEAD * stepMillis));
    return (int) Math.max(1, Math.min(MAX_EVERY, k));
  }

  /** Snapshots after every this many steps, for now. */
  int every() {
    return every;
  }

  /**
   * Notes a completed step of the attempt ({@code first}: its first, not timed) with the largest
   * state a device reported; returns the chosen K once, when it is chosen, else 0.
   */
  int stepDone(boolean first, double millis, long largestStateBytes) {
    if (chosen || first) {
      return 0;
    }
    stepMillis.add(millis);
    stateBytes = Math.max(stateBytes, largestStateBytes);
    if (stepMillis.size() < STEPS_TIMED) {
      return 0;
    }
    List<Double> sorted = new ArrayList<>(stepMillis);
    sorted.sort(null);
    every = choose(stateBytes, sorted.get(sorted.size() / 2));
    chosen = true;
    return every;
  }

  /** The largest device state seen (bytes). */
  long stateBytes() {
    return stateBytes;
  }

  /** The median step time the choice used (ms). */
  double stepMillis() {
    List<Double> sorted = new ArrayList<>(stepMillis);
    sorted.sort(null);
    return sorted.isEmpty() ? 0 : sorted.get(sorted.size() / 2);
  }
}
