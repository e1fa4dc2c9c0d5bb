package io.tandem.actors.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.actors.JobConfig;
import io.tandem.actors.JobEvent;
import io.tandem.actors.LocalRuntime;
import io.tandem.actors.worker.ComputeProvider;
import io.tandem.actors.worker.DeviceCompute;
import io.tandem.actors.worker.SimComputeProvider;
import io.tandem.actors.worker.ForwardingStageCompute;
import io.tandem.schedule.Schedule;
import io.tandem.schedule.ScheduleRegistry;
import io.tandem.schedule.ScheduleSpec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A job left at the automatic snapshot interval whose devices report a big state next to short
 * steps: after timing its first steps the coordinator announces every K > 1 steps, K as
 * {@link SnapshotInterval#choose} gives for the reported state; a small state says nothing.
 */
class AutoSnapshotIntervalTest {

  /** Sim devices (2 ms ops) reporting {@code stateBytes} of layer state each. */
  static ComputeProvider withState(long stateBytes) {
    SimComputeProvider sim = new SimComputeProvider(null, 2);
    return new ComputeProvider() {
      @Override
      public DeviceCompute open(int device, Schedule schedule) {
        DeviceCompute d = sim.open(device, schedule);
        return new DeviceCompute(new ForwardingStageCompute(d.compute()) {
          @Override
          public long stateBytes() {
            return stateBytes;
          }
        }, d.executor());
      }

      @Override
      public long tokensPerStep() {
        return 0;
      }
    };
  }

  static List<JobEvent> run(long stateBytes) {
    Schedule schedule = ScheduleRegistry.generate("1f1b", ScheduleSpec.of(2, 4));
    List<JobEvent> events = new CopyOnWriteArrayList<>();
    JobEvent end = LocalRuntime.run(new JobConfig("auto-snapshots", schedule, 8, 0, Duration.ofSeconds(30), 0, null,
        JobConfig.AUTO_SNAPSHOTS), withState(stateBytes), events::add);
    assertInstanceOf(JobEvent.JobSucceeded.class, end, end.toString());
    return events;
  }

  @Test
  void aBigStateNextToShortStepsIsSnapshottedEveryFewSteps() {
    List<JobEvent> events = run(2_000_000_000L); // 8 s to copy at the assumed rate
    List<JobEvent.Progress> chosen = events.stream().filter(e -> e instanceof JobEvent.Progress p
        && p.kind().equals("snapshot-interval")).map(e -> (JobEvent.Progress) e).toList();
    assertEquals(1, chosen.size(), "announced once: " + chosen);
    List<Double> stepMillis = events.stream().filter(e -> e instanceof JobEvent.StepCompleted)
        .map(e -> ((JobEvent.StepCompleted) e).stepMillis()).toList();
    int k = SnapshotInterval.choose(2_000_000_000L, stepMillis.subList(1, 4).stream().sorted().toList().get(1));
    assertTrue(k > 1, "K " + k);
    assertTrue(chosen.get(0).message().startsWith("in-memory snapshots every " + k + " steps: the largest device"
        + " state is 2000.0 MB"), chosen.get(0).message());
  }

  @Test
  void aSmallStateSaysNothing() {
    assertTrue(run(1_500_000).stream().noneMatch(e -> e instanceof JobEvent.Progress p
        && p.kind().equals("snapshot-interval")));
  }
}
