package io.tandem.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class AlternativeReasonTest {
  @Test
  void equalTimeAndMemory_saysAsFastSameMemory() {
    assertEquals("as fast as v-half, same memory", AlternativeReason.describe(10, 100, 10, 100, "v-half"));
  }

  @Test
  void equalTimeMoreMemory_saysMoreMemory() {
    assertEquals("as fast as v-half, more memory", AlternativeReason.describe(10, 200, 10, 100, "v-half"));
  }

  @Test
  void slower_saysByHowMuchAndTheMemory() {
    assertEquals("25.0% slower than 1f1b, less memory", AlternativeReason.describe(12.5, 50, 10, 100, "1f1b"));
    assertEquals("<0.1% slower than 1f1b, same memory", AlternativeReason.describe(10.001, 100, 10, 100, "1f1b"));
  }
}
