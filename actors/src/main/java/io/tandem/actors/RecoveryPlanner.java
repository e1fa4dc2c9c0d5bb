package io.tandem.actors;

import io.tandem.model.Presets;
import io.tandem.proto.JobSpec;
import io.tandem.schedule.Schedule;
import java.util.Locale;

/**
 * Chooses the plan a job continues with after it lost devices: the seam between the runtime
 * and the planner. It keeps the job's schedule family over the surviving devices with the
 * layers split evenly ({@link Partition#even}); when that schedule cannot run on that many
 * devices it falls back to 1F1B.
 */
public final class RecoveryPlanner {
  private RecoveryPlanner() {}

  /**
   * A plan to continue with.
   *
   * @param spec the job spec to run from now on (devices and schedule changed, id unchanged)
   * @param schedule its validated schedule
   * @param reason why this plan, one line
   */
  public record Replan(JobSpec spec, Schedule schedule, String reason) {}

  /** A plan for {@code spec} on {@code devices} devices ({@code why}: what happened, for the reason). */
  public static Replan replan(JobSpec spec, int devices, String why) {
    if (devices < 1) {
      throw new IllegalArgumentException("no devices left for job " + spec.getJobId() + " (" + why + ")");
    }
    JobSpec same = spec.toBuilder().setDevices(devices).build();
    String tried;
    try {
      Schedule s = fits(same);
      return new Replan(same, s, why + "; kept schedule " + s.name() + " over the " + devices
          + " available device(s), layers split evenly");
    } catch (IllegalArgumentException e) {
      tried = e.getMessage();
    }
    JobSpec fallback = same.toBuilder().setSchedule("1f1b").build();
    Schedule s = fits(fallback);
    return new Replan(fallback, s, why + "; " + spec.getSchedule() + " cannot run on " + devices
        + " device(s) (" + tried + "), so 1f1b, layers split evenly");
  }

  private static Schedule fits(JobSpec spec) {
    Schedule s = JobFactory.schedule(spec);
    if (!spec.getBackend().toLowerCase(Locale.ROOT).equals("sim")) {
      Partition.even(Presets.byName(spec.getModel()).numLayers(), s.stages());
    }
    return s;
  }
}
