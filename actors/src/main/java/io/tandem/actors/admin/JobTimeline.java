package io.tandem.actors.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tandem.actors.JobFactory;
import io.tandem.proto.JobSpec;
import io.tandem.proto.OpTiming;
import io.tandem.proto.StepReport;
import io.tandem.schedule.Schedule;
import io.tandem.schedule.SimulationResult;
import io.tandem.schedule.Simulator;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * {@code GET /jobs/{id}/timeline}: the ops each device executed in the last completed step, in
 * milliseconds from the step's first op: {@code {"devices":[{"device":0,"ops":[{"op":"F","mb":0,
 * "v":0,"start":0.0,"end":1.2}, ...]}, ...]}}; {@code "step"}; and {@code "simulated"}: the
 * simulator's timeline of the same schedule in the same form, scaled to the measured step's length,
 * with {@code "peakActivation"}, the simulator's peak per device (units of DESIGN's schedule JSON).
 */
final class JobTimeline {
  private JobTimeline() {}

  /**
   * The schedule a job runs ({@code scheduleName} on {@code devices}) and its simulation; {@code
   * schedule} is null when it cannot be generated from the spec (e.g. only the planner makes it).
   * Generating can run auto's search, so a job record computes this once per plan, not per request.
   */
  record Simulation(String scheduleName, int devices, Schedule schedule, SimulationResult result) {
    static Simulation of(JobSpec spec, String scheduleName, int devices) {
      if (scheduleName.isEmpty()) {
        return new Simulation(scheduleName, devices, null, null);
      }
      try {
        Schedule s = JobFactory.schedule(spec.toBuilder().setSchedule(scheduleName).setDevices(devices).build());
        return new Simulation(scheduleName, devices, s, Simulator.simulate(s));
      } catch (RuntimeException e) {
        return new Simulation(scheduleName, devices, null, null);
      }
    }

    boolean isFor(String name, int count) {
      return scheduleName.equals(name) && devices == count;
    }
  }

  /** The timeline of the last step's {@code reports}, next to {@code simulation} (null: none) scaled to it. */
  static ObjectNode json(List<StepReport> reports, Simulation simulation) {
    ObjectNode o = JobSpecJson.mapper().createObjectNode();
    ArrayNode devices = o.putArray("devices");
    if (reports.isEmpty()) {
      return o;
    }
    o.put("step", reports.get(0).getStep());
    double origin = Double.MAX_VALUE;
    double last = 0;
    for (StepReport r : reports) {
      for (OpTiming t : r.getTimingsList()) {
        origin = Math.min(origin, t.getStartMs());
        last = Math.max(last, t.getEndMs());
      }
    }
    List<StepReport> byDevice = new ArrayList<>(reports);
    byDevice.sort(Comparator.comparingInt(StepReport::getDevice));
    for (StepReport r : byDevice) {
      ObjectNode d = devices.addObject().put("device", r.getDevice());
      ArrayNode ops = d.putArray("ops");
      for (OpTiming t : r.getTimingsList()) {
        ops.addObject().put("op", t.getOp().getKind().name()).put("mb", t.getOp().getMicrobatch())
            .put("v", t.getOp().getVirtualStage()).put("start", t.getStartMs() - origin).put("end", t.getEndMs() - origin);
      }
    }
    if (simulation != null && simulation.schedule() != null) {
      o.set("simulated", simulated(simulation.schedule(), simulation.result(), last - origin));
    }
    return o;
  }

  /** The simulator's timeline of the schedule the job runs, scaled so its makespan is {@code measuredMs}. */
  private static ObjectNode simulated(Schedule schedule, SimulationResult sim, double measuredMs) {
    double scale = sim.makespan() > 0 && measuredMs > 0 ? measuredMs / sim.makespan() : 1;
    ObjectNode o = JobSpecJson.mapper().createObjectNode();
    o.put("schedule", schedule.name()).put("scale", scale);
    ArrayNode peaks = o.putArray("peakActivation");
    for (double p : sim.peakActivation()) {
      peaks.add(p);
    }
    ArrayNode out = o.putArray("devices");
    List<ArrayNode> perDevice = new ArrayList<>();
    for (int d = 0; d < schedule.devices(); d++) {
      perDevice.add(out.addObject().put("device", d).putArray("ops"));
    }
    for (io.tandem.schedule.OpTiming t : sim.timings()) {
      perDevice.get(t.device()).addObject().put("op", t.op().kind().name()).put("mb", t.op().microbatch())
          .put("v", t.op().virtualStage()).put("start", t.start() * scale).put("end", t.end() * scale);
    }
    return o;
  }
}
