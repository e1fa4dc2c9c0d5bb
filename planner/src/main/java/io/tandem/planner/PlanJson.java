package io.tandem.planner;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * A plan as one JSON object ({@code tandem plan --json}): {@code schedule}, {@code devices},
 * {@code pipelineDepth}, {@code dataParallel}, {@code chunksPerDevice}, {@code placement},
 * {@code stages} ({@code [{"virtualStage":0,"firstLayer":0,"endLayer":5}, ...]}),
 * {@code microbatches}, {@code microbatchSize}, {@code recompute} (per virtual stage),
 * {@code memoryLimit}, {@code stepTimeMs}, {@code bubble}, {@code deviceIds},
 * {@code peakBytesPerDevice}, {@code activationBytesPerDevice}, {@code deviceMemoryBytes},
 * {@code evaluated}, and {@code alternatives} (each {@code schedule}, {@code stepTimeMs} (null
 * when never scored), {@code peakBytesPerDevice}, {@code feasible}, {@code config},
 * {@code reason}).
 */
public final class PlanJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private PlanJson() {}

  /** The plan as a JSON object. */
  public static ObjectNode toTree(Plan p) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("schedule", p.schedule());
    o.put("devices", p.devices());
    o.put("pipelineDepth", p.pipelineDepth());
    o.put("dataParallel", p.dataParallel());
    o.put("chunksPerDevice", p.chunksPerDevice());
    ArrayNode placement = o.putArray("placement");
    p.placement().forEach(placement::add);
    ArrayNode stages = o.putArray("stages");
    for (StageRange s : p.stages()) {
      stages.addObject().put("virtualStage", s.virtualStage()).put("firstLayer", s.firstLayer())
          .put("endLayer", s.endLayer());
    }
    o.put("microbatches", p.microbatches());
    o.put("microbatchSize", p.microbatchSize());
    ArrayNode rec = o.putArray("recompute");
    p.recompute().forEach(rec::add);
    o.put("memoryLimit", p.memoryLimit());
    o.put("stepTimeMs", round(p.stepTimeMs()));
    o.put("bubble", round(p.bubble()));
    ArrayNode ids = o.putArray("deviceIds");
    p.deviceIds().forEach(ids::add);
    longs(o.putArray("peakBytesPerDevice"), p.peakBytesPerDevice());
    longs(o.putArray("activationBytesPerDevice"), p.activationBytesPerDevice());
    longs(o.putArray("deviceMemoryBytes"), p.deviceMemoryBytes());
    o.put("evaluated", p.evaluated());
    ArrayNode alts = o.putArray("alternatives");
    for (Alternative a : p.alternatives()) {
      alternative(alts.addObject(), a);
    }
    return o;
  }

  /** One alternative as a JSON object. */
  public static ObjectNode alternative(ObjectNode o, Alternative a) {
    o.put("schedule", a.schedule());
    if (Double.isNaN(a.stepTimeMs())) {
      o.putNull("stepTimeMs");
    } else {
      o.put("stepTimeMs", round(a.stepTimeMs()));
    }
    longs(o.putArray("peakBytesPerDevice"), a.peakBytesPerDevice());
    o.put("feasible", a.feasible());
    o.put("config", a.config());
    o.put("reason", a.reason());
    return o;
  }

  /** The plan as compact JSON text. */
  public static String toJson(Plan p) {
    try {
      return MAPPER.writeValueAsString(toTree(p));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write plan JSON", e);
    }
  }

  /** The alternatives of a failed search, as {@code {"feasible":false,"error":...,"alternatives":[...]}}. */
  public static String failureJson(NoFeasiblePlanException e) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("feasible", false);
    o.put("error", e.getMessage());
    ArrayNode alts = o.putArray("alternatives");
    for (Alternative a : e.alternatives()) {
      alternative(alts.addObject(), a);
    }
    try {
      return MAPPER.writeValueAsString(o);
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException("cannot write JSON", ex);
    }
  }

  private static void longs(ArrayNode a, List<Long> values) {
    values.forEach(a::add);
  }

  private static double round(double v) {
    return Math.round(v * 1e4) / 1e4;
  }
}
