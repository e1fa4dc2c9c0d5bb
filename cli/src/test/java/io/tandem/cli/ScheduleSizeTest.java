package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Schedules too large to build in a few seconds are refused at once, naming the limit. */
@Timeout(30)
class ScheduleSizeTest {
  private static void assertRefused(String limit, String... args) {
    String[] r = ChecksBeforeWorkTest.run(args);
    assertEquals(Integer.toString(TandemCli.USER_ERROR), r[0], r[2]);
    assertTrue(r[2].startsWith("tandem: -p ") && r[2].strip().lines().count() == 1, r[2]);
    assertTrue(r[2].contains("at most " + limit), r[2]);
    assertEquals("", r[1]);
  }

  @Test
  void hugeSpecs_areRefusedNamingTheLimit() {
    assertRefused("2,000,000", "schedule", "show", "1f1b", "-p", "10000", "-m", "100000");
    assertRefused("2,000,000", "schedule", "export", "v-half", "-p", "1000", "-m", "1000");
    assertRefused("500,000", "schedule", "compare", "-p", "100", "-m", "1000");
    assertRefused("2,000,000", "bench", "schedules", "-p", "1000", "-m", "1000");
  }

  @Test
  void theLimitCountsThreeOpsPerMicrobatchAndChunk() {
    assertEquals(3L * 10_000 * 100_000 * 2, ScheduleSize.ops(10_000, 100_000, 1));
    assertEquals(3L * 4 * 8 * 4, ScheduleSize.ops(4, 8, 4));
    ScheduleSize.check(64, 512, 2, ScheduleSize.MAX_OPS, "bench schedules"); // BENCHMARKS.md's size
  }
}
