package io.tandem.planner;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Reads a devices file ({@code tandem plan --devices-file}):
 *
 * <pre>{"linkBandwidth":"10GB", "linkLatencyMs":0.02,
 *  "devices":[{"id":"gpu0","memory":"24GiB","speed":1.0}, {"id":"gpu1","memory":"16GiB","speed":0.7}]}</pre>
 *
 * {@code linkBandwidth} is bytes per second (a size with a unit); it and {@code linkLatencyMs}
 * are optional, as are {@code id} (default {@code d<i>}) and {@code speed} (default 1).
 * A device may give {@code "count": n} to stand for {@code n} identical devices.
 */
public final class ClusterFile {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private ClusterFile() {}

  /** Parses the file; any problem is an IllegalArgumentException naming the file. */
  public static ClusterSpec read(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("devices file not found: " + file);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read devices file " + file + ": " + e.getMessage());
    }
    try {
      return parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage());
    }
  }

  /** Parses the JSON text. */
  public static ClusterSpec parse(String json) {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(JsonProblem.describe(e));
    } catch (IOException e) {
      throw new IllegalArgumentException("not valid JSON (" + e.getMessage() + ")");
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("expected a JSON object with a \"devices\" array");
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext();) {
      String f = it.next();
      if (!List.of("devices", "linkBandwidth", "linkLatencyMs").contains(f)) {
        throw new IllegalArgumentException("unknown key '" + f + "'; use devices, linkBandwidth, linkLatencyMs");
      }
    }
    JsonNode devs = root.get("devices");
    if (devs == null || !devs.isArray() || devs.isEmpty()) {
      throw new IllegalArgumentException("\"devices\" must be a non-empty array");
    }
    List<DeviceSpec> out = new ArrayList<>();
    for (int index = 0; index < devs.size(); index++) {
      JsonNode d = devs.get(index);
      String where = "devices[" + index + "]";
      if (!d.isObject() || d.get("memory") == null) {
        throw new IllegalArgumentException(where + ": each device needs \"memory\", e.g. {\"id\":\"gpu0\",\"memory\":\"24GiB\"}");
      }
      for (Iterator<String> it = d.fieldNames(); it.hasNext();) {
        String f = it.next();
        if (!List.of("id", "memory", "speed", "count").contains(f)) {
          throw new IllegalArgumentException(where + ": unknown key '" + f + "'; use id, memory, speed, count");
        }
      }
      long memory;
      try {
        memory = d.get("memory").isNumber() ? d.get("memory").asLong() : Bytes.parse(d.get("memory").asText());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ".memory: " + e.getMessage());
      }
      if (d.has("speed") && !d.get("speed").isNumber()) {
        throw new IllegalArgumentException(where + ".speed: must be a number, got " + d.get("speed"));
      }
      double speed = d.has("speed") ? d.get("speed").asDouble(Double.NaN) : 1.0;
      int count = d.has("count") ? d.get("count").asInt(0) : 1;
      if (count < 1) {
        throw new IllegalArgumentException(where + ".count: must be >= 1");
      }
      for (int i = 0; i < count; i++) {
        String id = d.has("id") ? d.get("id").asText() + (count > 1 ? "-" + i : "") : "d" + out.size();
        out.add(new DeviceSpec(id, memory, speed));
      }
    }
    double bw = ClusterSpec.DEFAULT_BANDWIDTH;
    if (root.has("linkBandwidth")) {
      JsonNode b = root.get("linkBandwidth");
      bw = b.isNumber() ? b.asDouble() : Bytes.parse(b.asText());
    }
    double lat = root.has("linkLatencyMs") ? root.get("linkLatencyMs").asDouble(Double.NaN)
        : ClusterSpec.DEFAULT_LATENCY_MS;
    return new ClusterSpec(out, bw, lat);
  }
}
