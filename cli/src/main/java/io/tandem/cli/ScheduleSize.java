package io.tandem.cli;

import java.util.Locale;

/**
 * The largest schedules the schedule commands take, so that a typo such as {@code -m 100000}
 * is refused at once instead of running for minutes: a spec's size is its ops,
 * {@code 3 x p x m x chunks} (F, B and W of every microbatch on every chunk), counting at least
 * two chunks per device because V-shape and interleaved schedules have two.
 */
final class ScheduleSize {
  /** Ops {@code schedule show}, {@code export} and {@code bench schedules} take (a few seconds each). */
  static final long MAX_OPS = 2_000_000;
  /** Ops {@code schedule compare} takes: it builds and simulates every generator's schedule. */
  static final long MAX_COMPARE_OPS = 500_000;

  private ScheduleSize() {}

  /** Ops of the largest schedule of {@code devices x microbatches} with {@code chunks} per device. */
  static long ops(int devices, int microbatches, int chunks) {
    return 3L * Math.max(0, devices) * Math.max(0, microbatches) * Math.max(2, chunks);
  }

  /** Refuses a spec over {@code maxOps} for {@code command}, with a one-line user error naming the limit. */
  static void check(int devices, int microbatches, int chunks, long maxOps, String command) {
    long ops = ops(devices, microbatches, chunks);
    if (ops > maxOps) {
      throw new UserException(String.format(Locale.ROOT,
          "-p %d x -m %d is %,d ops (3 per microbatch and chunk, %d chunks); %s takes at most %,d:"
              + " use fewer devices or microbatches", devices, microbatches, ops, Math.max(2, chunks), command, maxOps));
    }
  }
}
