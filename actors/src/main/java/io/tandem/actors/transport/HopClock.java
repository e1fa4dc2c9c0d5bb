package io.tandem.actors.transport;

import java.time.Instant;

/** The wall clock in microseconds, for hop traces: comparable across the JVMs of one machine. */
public final class HopClock {
  private HopClock() {}

  public static long nowMicros() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }
}
