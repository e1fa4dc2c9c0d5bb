package io.tandem.actors.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The automatic snapshot interval: every step for small states, every few steps for big ones. */
class SnapshotIntervalTest {

  @Test
  void smallStatesAreSnapshottedEveryStepHoweverShortTheStep() {
    assertEquals(1, SnapshotInterval.choose(1_500_000, 120)); // gpt-tiny on 4 workers
    assertEquals(1, SnapshotInterval.choose(20_000_000, 1)); // 80 ms of copying: under the floor
    assertEquals(1, SnapshotInterval.choose(0, 100)); // the sim backend holds no state
  }

  @Test
  void bigStatesGetTheSmallestIntervalWithinTheOverhead() {
    // 600 MB (100M parameters with AdamW over 2 workers) at 250 MB/s: 2.4 s a snapshot
    assertEquals(24, SnapshotInterval.choose(600_000_000, 2000)); // 2.4 s <= 5 % of 24 x 2 s
    assertEquals(1, SnapshotInterval.choose(600_000_000, 48_000)); // 48 s steps: 5 % is 2.4 s
    assertEquals(2, SnapshotInterval.choose(600_000_000, 47_000));
    assertEquals(SnapshotInterval.MAX_EVERY, SnapshotInterval.choose(600_000_000, 10)); // capped
  }

  @Test
  void aBigStateIsTimedWithoutSnapshotsThenGetsItsInterval() {
    SnapshotInterval auto = new SnapshotInterval();
    assertEquals(1, auto.every(), "before the first step: as every step");
    assertEquals(0, auto.stepDone(true, 60_000, 600_000_000)); // the first step: warm-up, not timed
    assertEquals(0, auto.every(), "no snapshots while timing");
    assertEquals(0, auto.stepDone(false, 2100, 600_000_000));
    assertEquals(0, auto.stepDone(false, 1900, 600_000_000));
    assertEquals(0, auto.every());
    assertEquals(24, auto.stepDone(false, 2000, 600_000_000)); // the median of 2100, 1900, 2000
    assertEquals(24, auto.every());
    assertEquals(0, auto.stepDone(false, 10, 600_000_000), "chosen once");
    assertEquals(24, auto.every());
  }

  @Test
  void aSmallStateIsSnapshottedEveryStepFromTheFirst() {
    SnapshotInterval auto = new SnapshotInterval();
    assertEquals(0, auto.stepDone(true, 500, 1_500_000));
    assertEquals(1, auto.every());
    assertEquals(0, auto.stepDone(false, 1, 1_500_000));
    assertEquals(0, auto.stepDone(false, 1, 1_500_000));
    assertEquals(0, auto.stepDone(false, 1, 1_500_000));
    assertEquals(1, auto.every(), "never timed, never changed");
  }
}
