package io.tandem.actors;

import io.tandem.actors.worker.ComputeProvider;
import io.tandem.actors.worker.SimComputeProvider;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.schedule.Schedule;
import io.tandem.schedule.ScheduleRegistry;
import io.tandem.schedule.ScheduleSpec;
import io.tandem.schedule.SimulationResult;
import io.tandem.schedule.Simulator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SimRuntimeTest {

  static List<String> schedules() {
    return ScheduleRegistry.names().stream().filter(n -> !n.equals("auto") && !n.equals("2bw")).toList();
  }

  static ComputeProvider sim(double opMs) {
    return new SimComputeProvider(null, opMs);
  }

  @ParameterizedTest
  @MethodSource("schedules")
  void measuredActivationPeak_equalsSimulatorPeak(String name) {
    Schedule schedule = ScheduleRegistry.generate(name, ScheduleSpec.of(4, 8));
    SimulationResult sim = Simulator.simulate(schedule);
    List<JobEvent> events = new ArrayList<>();
    JobEvent end = LocalRuntime.run(new JobConfig("sim-" + name, schedule, 2, 0, Duration.ofSeconds(30)),
        sim(0), events::add);
    assertInstanceOf(JobEvent.JobSucceeded.class, end, end.toString());
    JobEvent.StepCompleted last = (JobEvent.StepCompleted) events.get(events.size() - 2);
    for (int d = 0; d < 4; d++) {
      assertEquals(sim.peakActivation()[d], last.peakActivationUnits()[d], 1e-9, name + " device " + d);
    }
    assertTrue(events.stream().filter(e -> e instanceof JobEvent.StepCompleted).count() == 2);
  }
}
