package io.tandem.schedule;

/**
 * Builds one family of schedules. Implementations emit compute ops only and reject specs they
 * do not support with an {@link IllegalArgumentException} whose one-line message names the
 * constraint (e.g. "zb-v needs microbatches >= devices").
 */
public interface ScheduleGenerator {
  /** The registry name, lower case (e.g. {@code 1f1b}, {@code v-half}). */
  String name();

  /** One line for {@code tandem schedule list}. */
  String description();

  Schedule generate(ScheduleSpec spec);
}
