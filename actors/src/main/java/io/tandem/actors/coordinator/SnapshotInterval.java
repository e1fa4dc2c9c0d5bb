package io.tandem.actors.coordinator;

import java.util.ArrayList;
import java.util.List;

/**
 * The automatic in-memory snapshot interval (a job's {@code snapshotEvery} left at its default).
 * At the end of an attempt's first step the workers have reported their state sizes: when the
 * largest copies in under {@value #MIN_MILLIS} ms at {@value #BYTES_PER_SECOND} bytes a second,
 * snapshots are taken every step (cheap, and one step is the most a failure should cost: small
 * models). Otherwise the next {@value #STEPS_TIMED} steps run without snapshots, so that their times
 * are the job's own, and then K is the smallest interval whose estimated copy stays within
 * {@value #OVERHEAD} of K steps (100M parameters on CPUs: 600 MB a worker, about 2 s a step:
 * every 24 steps instead of doubling the step time). Not thread-safe: the coordinator owns it.
 */
final class SnapshotInterval {
  /** What a snapshot is assumed to move a second per device: copy, seal, send, and the peer's receive and keep. */
  static final double BYTES_PER_SECOND = 250e6;
  /** The share of the step time the snapshots may take. */
  static final double OVERHEAD = 0.05;
  /** Snapshots estimated to take less than this are taken every step. */
  static final double MIN_MILLIS = 100;
  /** Steps timed without snapshots, after the attempt's first, before K is chosen for a big state. */
  static final int STEPS_TIMED = 3;
  /** The largest K chosen: a lost node costs at most this many steps. */
  static final int MAX_EVERY = 100;

  private final List<Double> stepMillis = new ArrayList<>();
  private long stateBytes;
  /** 0 while timing. */
  private int every = 1;
  private boolean chosen;

  /** K for a device state of {@code stateBytes} and steps of {@code stepMillis}. */
  static int choose(long stateBytes, double stepMillis) {
    double snapshotMillis = copyMillis(stateBytes);
    if (snapshotMillis < MIN_MILLIS || stepMillis <= 0) {
      return 1;
    }
    double k = Math.ceil(snapshotMillis / (OVERHEAD * stepMillis));
    return (int) Math.max(1, Math.min(MAX_EVERY, k));
  }

  private static double copyMillis(long stateBytes) {
    return 1000.0 * Math.max(0, stateBytes) / BYTES_PER_SECOND;
  }

  /** Snapshots after every this many steps, for now (0: none while the steps are timed). */
  int every() {
    return every;
  }

  /**
   * Notes a completed step of the attempt ({@code first}: its first, whose time is not used) with
   * the largest state a device reported; returns K when it is chosen for a big state (once), else 0.
   */
  int stepDone(boolean first, double millis, long largestStateBytes) {
    if (chosen) {
      return 0;
    }
    stateBytes = Math.max(stateBytes, largestStateBytes);
    if (first) {
      if (copyMillis(stateBytes) < MIN_MILLIS) {
        chosen = true; // every step, as before the first step
      } else {
        every = 0;
      }
      return 0;
    }
    stepMillis.add(millis);
    if (stepMillis.size() < STEPS_TIMED) {
      return 0;
    }
    every = choose(stateBytes, stepMillis());
    chosen = true;
    return every;
  }

  /** The largest device state seen (bytes). */
  long stateBytes() {
    return stateBytes;
  }

  /** The median of the timed steps (ms). */
  double stepMillis() {
    List<Double> sorted = new ArrayList<>(stepMillis);
    sorted.sort(null);
    return sorted.isEmpty() ? 0 : sorted.get(sorted.size() / 2);
  }
}
