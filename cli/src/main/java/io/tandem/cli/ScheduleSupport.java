package io.tandem.cli;

import io.tandem.schedule.Schedule;
import io.tandem.schedule.ScheduleJson;
import io.tandem.schedule.SimulationResult;
import io.tandem.schedule.TextTimeline;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.OptionalDouble;

/** Shared steps of the schedule subcommands. */
final class ScheduleSupport {
  private ScheduleSupport() {}

  /** Reads and parses a schedule JSON file; a bad file is a one-line user error. */
  static Schedule readFile(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new UserException("no such file: " + file);
    } catch (IOException e) {
      throw new UserException("cannot read " + file + ": " + e.getMessage());
    }
    try {
      return ScheduleJson.read(text);
    } catch (IllegalArgumentException e) {
      throw new UserException(file + ": " + e.getMessage());
    }
  }

  /** Refuses a result whose peak exceeds the user's memory limit. */
  static void checkLimit(Schedule s, SimulationResult r, OptionalDouble limit) {
    if (limit.isEmpty()) {
      return;
    }
    double[] peak = r.peakActivation();
    for (int d = 0; d < peak.length; d++) {
      if (peak[d] > limit.getAsDouble() + 1e-9) {
        throw new UserException("schedule " + s.name() + " peaks at " + TextTimeline.num(peak[d])
            + " on device " + d + ", over --memory-limit " + TextTimeline.num(limit.getAsDouble())
            + " (only generators that read the limit, such as auto, adapt to it)");
      }
    }
  }
}
