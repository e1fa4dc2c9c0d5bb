package io.tandem.schedule;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The schedule JSON of DESIGN.md ("Schedule JSON"), read by other tools: keep it stable.
 *
 * <pre>
 * { "name": "1f1b", "devices": 4, "microbatches": 8, "chunksPerDevice": 1,
 *   "placement": [0,1,2,3],
 *   "ops": [ [ {"op":"F","mb":0,"v":0}, ... ],   // device 0's ops in order
 *            ... ],
 *   "costs": {"F":1.0,"B":1.0,"W":1.0,"comm":0.0},
 *   "metrics": {"makespan":..., "bubble":..., "peakActivation":[...]} }
 * </pre>
 *
 * <p>Versioned schedules ({@code 2bw}) add {@code "version": k} to every op: the weight version
 * it uses ({@link Schedule#weightVersions()}). On import {@code costs} may be left out (unit
 * costs), {@code metrics} is ignored (recomputed by the simulator), and unknown top-level keys
 * are ignored; everything else is checked and a mistake is one {@link IllegalArgumentException}
 * line. Export then import gives back an equal {@link Schedule}.
 */
public final class ScheduleJson {
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  private ScheduleJson() {}

  /** The JSON of {@code s}; {@code metrics} is written when not null. One device's ops per line. */
  public static String write(Schedule s, SimulationResult metrics) {
    return write(s, metrics, Map.of());
  }

  /**
   * As {@link #write(Schedule, SimulationResult)}, with {@code extraMetrics} (e.g. auto's
   * {@code searchSeconds}) appended to {@code metrics}, keys in sorted order.
   */
  public static String write(Schedule s, SimulationResult metrics, Map<String, Double> extraMetrics) {
    StringBuilder b = new StringBuilder();
    b.append("{\"name\":\"").append(JsonStringEncoder.getInstance().quoteAsString(s.name())).append('"');
    b.append(",\"devices\":").append(s.devices());
    b.append(",\"microbatches\":").append(s.microbatches());
    b.append(",\"chunksPerDevice\":").append(s.chunksPerDevice()).append(",\n");
    b.append(" \"placement\":[");
    List<Integer> placement = s.placement().deviceOfStage();
    for (int v = 0; v < placement.size(); v++) {
      b.append(v == 0 ? "" : ",").append(placement.get(v));
    }
    b.append("],\n \"ops\":[");
    Map<Op, Integer> versions = s.weightVersions();
    for (int d = 0; d < s.devices(); d++) {
      b.append(d == 0 ? "\n  [" : ",\n  [");
      List<Op> ops = s.opsOf(d);
      for (int i = 0; i < ops.size(); i++) {
        Op op = ops.get(i);
        b.append(i == 0 ? "" : ",").append("{\"op\":\"").append(op.kind().name())
            .append("\",\"mb\":").append(op.microbatch()).append(",\"v\":").append(op.virtualStage());
        Integer version = versions.get(op);
        if (version != null) {
          b.append(",\"version\":").append(version);
        }
        b.append('}');
      }
      b.append(']');
    }
    b.append("\n ],\n \"costs\":{\"F\":").append(number(s.costs().f()))
        .append(",\"B\":").append(number(s.costs().b()))
        .append(",\"W\":").append(number(s.costs().w()))
        .append(",\"comm\":").append(number(s.costs().comm())).append('}');
    if (metrics != null) {
      b.append(",\n \"metrics\":{\"makespan\":").append(number(metrics.makespan()))
          .append(",\"bubble\":").append(number(metrics.bubble())).append(",\"peakActivation\":[");
      double[] peak = metrics.peakActivation();
      for (int d = 0; d < peak.length; d++) {
        b.append(d == 0 ? "" : ",").append(number(peak[d]));
      }
      b.append(']');
      for (String k : new java.util.TreeSet<>(extraMetrics.keySet())) {
        b.append(",\"").append(JsonStringEncoder.getInstance().quoteAsString(k)).append("\":")
            .append(number(extraMetrics.get(k)));
      }
      b.append('}');
    }
    return b.append("\n}\n").toString();
  }

  private static String number(double v) {
    if (!Double.isFinite(v)) {
      throw new IllegalArgumentException("cannot write " + v + " as JSON");
    }
    return Double.toString(v);
  }

  /** Parses the JSON of {@link #write}; any mistake is an {@link IllegalArgumentException}. */
  public static Schedule read(String json) {
    JsonNode root;
    try {
      root = MAPPER.readTree(json == null ? "" : json);
    } catch (JsonParseException e) {
      throw new IllegalArgumentException("malformed schedule JSON: " + firstLine(e.getOriginalMessage())
          + " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr());
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("malformed schedule JSON: " + firstLine(e.getOriginalMessage()));
    }
    if (root == null || root.isMissingNode()) {
      throw new IllegalArgumentException("malformed schedule JSON: the input is empty");
    }
    if (!root.isObject()) {
      throw new IllegalArgumentException("schedule JSON must be an object, got " + kind(root));
    }
    String name = text(root, "name");
    int devices = integer(root, "devices");
    if (devices < 1) {
      throw new IllegalArgumentException("schedule JSON: devices must be >= 1, got " + devices);
    }
    int microbatches = integer(root, "microbatches");
    if (microbatches < 1) {
      throw new IllegalArgumentException("schedule JSON: microbatches must be >= 1, got " + microbatches);
    }
    JsonNode placementNode = array(root, "placement");
    List<Integer> deviceOfStage = new ArrayList<>(placementNode.size());
    for (int v = 0; v < placementNode.size(); v++) {
      deviceOfStage.add(asInt(placementNode.get(v), "placement[" + v + "]"));
    }
    Placement placement = new Placement(devices, deviceOfStage);
    if (root.has("chunksPerDevice")) {
      int chunks = integer(root, "chunksPerDevice");
      if (chunks != placement.chunksPerDevice()) {
        throw new IllegalArgumentException("schedule JSON: chunksPerDevice is " + chunks + " but placement has "
            + placement.stages() + " stages over " + devices + " devices");
      }
    }
    JsonNode opsNode = array(root, "ops");
    if (opsNode.size() != devices) {
      throw new IllegalArgumentException(
          "schedule JSON: ops has " + opsNode.size() + " device lists, devices is " + devices);
    }
    List<List<Op>> ops = new ArrayList<>(devices);
    Map<Op, Integer> versions = new HashMap<>();
    int unversioned = 0;
    for (int d = 0; d < devices; d++) {
      JsonNode list = opsNode.get(d);
      if (!list.isArray()) {
        throw new IllegalArgumentException("schedule JSON: ops[" + d + "] must be an array, got " + kind(list));
      }
      List<Op> deviceOps = new ArrayList<>(list.size());
      for (int i = 0; i < list.size(); i++) {
        JsonNode o = list.get(i);
        String where = "ops[" + d + "][" + i + "]";
        if (!o.isObject()) {
          throw new IllegalArgumentException("schedule JSON: " + where + " must be an object, got " + kind(o));
        }
        String kindName = text(o, "op", where);
        OpKind kind;
        try {
          kind = OpKind.valueOf(kindName.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              "schedule JSON: " + where + ": unknown op '" + kindName + "' (use F, B, W or BW)");
        }
        int mb = integer(o, "mb", where);
        int v = integer(o, "v", where);
        Op op;
        try {
          op = new Op(kind, mb, v);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("schedule JSON: " + where + ": " + e.getMessage());
        }
        if (o.has("version")) {
          int version = integer(o, "version", where);
          if (version < 0) {
            throw new IllegalArgumentException("schedule JSON: " + where + ": version must be >= 0, got " + version);
          }
          versions.put(op, version);
        } else {
          unversioned++;
        }
        deviceOps.add(op);
      }
      ops.add(deviceOps);
    }
    if (!versions.isEmpty() && unversioned > 0) {
      throw new IllegalArgumentException(
          "schedule JSON: " + unversioned + " ops lack a \"version\" while others have one");
    }
    OpCosts costs = OpCosts.UNIT;
    if (root.has("costs")) {
      JsonNode c = root.get("costs");
      if (!c.isObject()) {
        throw new IllegalArgumentException("schedule JSON: costs must be an object, got " + kind(c));
      }
      for (Iterator<String> it = c.fieldNames(); it.hasNext(); ) {
        String key = it.next();
        if (!List.of("F", "B", "W", "comm").contains(key)) {
          throw new IllegalArgumentException("schedule JSON: unknown cost '" + key + "' (use F, B, W, comm)");
        }
      }
      costs = new OpCosts(number(c, "F", 1), number(c, "B", 1), number(c, "W", 1), number(c, "comm", 0));
    }
    return new Schedule(name, microbatches, placement, ops, costs, versions);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "unreadable input";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private static JsonNode field(JsonNode node, String key, String where) {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) {
      throw new IllegalArgumentException("schedule JSON: " + (where.isEmpty() ? "" : where + ": ")
          + "missing \"" + key + "\"");
    }
    return v;
  }

  private static String text(JsonNode node, String key) {
    return text(node, key, "");
  }

  private static String text(JsonNode node, String key, String where) {
    JsonNode v = field(node, key, where);
    if (!v.isTextual()) {
      throw new IllegalArgumentException(
          "schedule JSON: " + prefix(where) + "\"" + key + "\" must be a string, got " + kind(v));
    }
    return v.asText();
  }

  private static int integer(JsonNode node, String key) {
    return asInt(field(node, key, ""), key);
  }

  private static int integer(JsonNode node, String key, String where) {
    return asInt(field(node, key, where), prefix(where) + key);
  }

  private static int asInt(JsonNode v, String what) {
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw new IllegalArgumentException("schedule JSON: " + what + " must be an integer, got " + kind(v));
    }
    return v.intValue();
  }

  private static double number(JsonNode node, String key, double fallback) {
    JsonNode v = node.get(key);
    if (v == null) {
      return fallback;
    }
    if (!v.isNumber()) {
      throw new IllegalArgumentException("schedule JSON: cost " + key + " must be a number, got " + kind(v));
    }
    return v.doubleValue();
  }

  private static JsonNode array(JsonNode node, String key) {
    JsonNode v = field(node, key, "");
    if (!v.isArray()) {
      throw new IllegalArgumentException("schedule JSON: \"" + key + "\" must be an array, got " + kind(v));
    }
    return v;
  }

  private static String prefix(String where) {
    return where.isEmpty() ? "" : where + ".";
  }

  private static String kind(JsonNode v) {
    String text = v.toString();
    if (text.length() > 40) {
      text = text.substring(0, 37) + "...";
    }
    return v.getNodeType().name().toLowerCase(Locale.ROOT) + " " + text;
  }
}
