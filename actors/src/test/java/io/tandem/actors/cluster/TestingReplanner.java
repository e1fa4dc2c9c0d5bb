package io.tandem.actors.cluster;

import io.tandem.actors.JobFactory;
import io.tandem.actors.coordinator.RecoveryPlanner;
import io.tandem.proto.JobSpec;
import java.util.ArrayList;
import java.util.List;

/** A {@link RecoveryPolicy.Replanner} that keeps the job's schedule on the devices asked for and records each call. */
final class TestingReplanner implements RecoveryPolicy.Replanner {
  /** One call: devices and why. */
  record Call(int devices, String why) {}

  final List<Call> calls = new ArrayList<>();
  private final JobSpec spec;
  private String failure;

  TestingReplanner(JobSpec spec) {
    this.spec = spec;
  }

  /** From now on every re-plan fails with {@code message}. */
  TestingReplanner failing(String message) {
    failure = message;
    return this;
  }

  @Override
  public RecoveryPlanner.Replan replan(int devices, String why) {
    calls.add(new Call(devices, why));
    if (failure != null) {
      throw new IllegalArgumentException(failure);
    }
    JobSpec s = spec.toBuilder().setDevices(devices).build();
    return new RecoveryPlanner.Replan(s, JobFactory.schedule(s), "testing keeps " + spec.getSchedule());
  }
}
