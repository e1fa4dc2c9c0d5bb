package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.actors.ActivationEstimate;
import io.tandem.actors.JobConfig;
import io.tandem.actors.JobEvent;
import io.tandem.actors.JobFactory;
import io.tandem.actors.LocalRuntime;
import io.tandem.actors.worker.Partition;
import io.tandem.model.Presets;
import io.tandem.planner.AnalyticProfiler;
import io.tandem.planner.GptShape;
import io.tandem.planner.MemoryEstimate;
import io.tandem.planner.ModelProfile;
import io.tandem.proto.JobSpec;
import io.tandem.schedule.Schedule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The planner's activation memory for gpt-tiny against what the CPU runtime measures (each stage
 * worker's largest stash between ops): within 10% on every device, for a fused-backward, a
 * split-backward and a V-shape schedule.
 */
class PlannerMemoryVsRuntimeTest {
  static final int MICROBATCH_SIZE = 2;

  static JobSpec spec(String scheduleName, int devices, String recompute) {
    return JobSpec.newBuilder().setJobId("mem-" + scheduleName + "-" + recompute).setBackend("cpu").setModel("gpt-tiny")
        .setSchedule(scheduleName).setDevices(devices).setMicrobatches(6).setMicrobatchSize(MICROBATCH_SIZE)
        .setSteps(1).setSeed(3).setLearningRate(0.001).setDataset("corpus").setOptimizer("adamw")
        .setRecompute(recompute).build();
  }

  /** Each device's measured peak activation bytes in one step of {@code spec}. */
  static long[] measure(JobSpec spec, Schedule schedule) {
    List<JobEvent> events = Collections.synchronizedList(new ArrayList<>());
    JobEvent end = LocalRuntime.run(new JobConfig(spec.getJobId(), schedule, 1, 0, Duration.ofSeconds(60)),
        JobFactory.provider(spec, schedule), events::add);
    assertInstanceOf(JobEvent.JobSucceeded.class, end, end.toString());
    return events.stream().filter(e -> e instanceof JobEvent.StepCompleted)
        .map(e -> ((JobEvent.StepCompleted) e).peakActivationBytes()).findFirst().orElseThrow();
  }

  /**
   * With every stage recomputing, each device's measured peak stays within the planner's estimate
   * for that recomputation ({@link ActivationEstimate}, what {@code tandem train} prints), and it
   * drops on every device where the estimate drops (on some device of each schedule). It never
   * rises: a device that holds one microbatch at a time (the last stage's) rebuilds the same stash.
   */
  @ParameterizedTest(name = "{0} on {1} devices")
  @CsvSource({"1f1b, 2", "zb-h1, 3", "v-half, 2", "gpipe, 3"})
  void recomputation_measuredPeakWithinEstimate_andLowerThanWithout(String scheduleName, int devices) {
    JobSpec off = spec(scheduleName, devices, "none");
    JobSpec on = spec(scheduleName, devices, "all");
    Schedule schedule = JobFactory.schedule(on);
    long[] measuredOff = measure(off, schedule);
    long[] measuredOn = measure(on, schedule);
    long[] estimateOff = ActivationEstimate.of(off, schedule).orElseThrow();
    long[] estimateOn = ActivationEstimate.of(on, schedule).orElseThrow();
    int drops = 0;
    for (int d = 0; d < devices; d++) {
      String where = scheduleName + " device " + d + ": measured " + measuredOn[d] + " B recomputing ("
          + measuredOff[d] + " B without), estimated " + estimateOn[d] + " B (" + estimateOff[d] + " B without)";
      assertTrue(measuredOn[d] > 0, where);
      assertTrue(measuredOn[d] <= estimateOn[d], where);
      assertTrue(measuredOn[d] <= measuredOff[d], where);
      if (estimateOn[d] < estimateOff[d]) {
        assertTrue(measuredOn[d] < measuredOff[d], where);
        drops++;
      }
    }
    assertTrue(drops > 0, scheduleName + ": the estimate drops on no device");
  }

  @ParameterizedTest(name = "{0} on {1} devices")
  @CsvSource({"1f1b, 2", "zb-h1, 3", "v-half, 2", "gpipe, 3"})
  void activationEstimate_withinTenPercentOfRuntime(String scheduleName, int devices) {
    JobSpec spec = spec(scheduleName, devices, "none");
    Schedule schedule = JobFactory.schedule(spec);
    long[] measured = measure(spec, schedule);

    var tiny = Presets.GPT_TINY;
    ModelProfile profile = AnalyticProfiler.gpuDefault()
        .profile(new GptShape(tiny.blocks(), tiny.width(), tiny.heads(), tiny.seqLen(), tiny.vocab()), MICROBATCH_SIZE);
    List<Integer> bounds = Partition.even(tiny.numLayers(), schedule.stages()).boundaries();
    List<Boolean> noRecompute = Collections.nCopies(schedule.stages(), false);
    long[] estimated = MemoryEstimate.activationPeaks(profile, schedule, bounds, noRecompute);
    assertEquals(measured.length, estimated.length);
    for (int d = 0; d < measured.length; d++) {
      assertTrue(measured[d] > 0, "device " + d + " measured nothing");
      double error = Math.abs(estimated[d] - measured[d]) / (double) measured[d];
      assertTrue(error <= 0.10, scheduleName + " device " + d + ": estimated " + estimated[d] + " B, measured "
          + measured[d] + " B (" + Math.round(100 * error) + "% off)");
    }
  }
}
