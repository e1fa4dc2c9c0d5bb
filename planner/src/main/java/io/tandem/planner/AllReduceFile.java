package io.tandem.planner;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the output of {@code tandem bench allreduce --json} (one JSON object per line, with
 * {@code replicas}, {@code tensorMB} (MiB) and {@code seconds}; other keys ignored; blank lines
 * skipped) and fits an {@link AllReduceCost} to it.
 */
public final class AllReduceFile {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  /** {@code tensorMB} counts MiB, as the bench prints it. */
  private static final double MIB = 1 << 20;

  private AllReduceFile() {}

  /** The fitted cost; a bad file is an {@link IllegalArgumentException} naming the file and line. */
  public static AllReduceCost read(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("--allreduce: no such file " + file);
    } catch (IOException e) {
      throw new IllegalArgumentException("--allreduce: cannot read " + file + ": " + e.getMessage());
    }
    List<AllReduceCost.Measurement> points = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).trim();
      if (line.isEmpty()) {
        continue;
      }
      String where = file + " line " + (i + 1);
      JsonNode o;
      try {
        o = MAPPER.readTree(line);
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException("--allreduce: " + where + " is not JSON (expected the lines of"
            + " 'tandem bench allreduce --json')");
      }
      for (String key : List.of("replicas", "tensorMB", "seconds")) {
        if (o == null || !o.isObject() || !o.path(key).isNumber()) {
          throw new IllegalArgumentException("--allreduce: " + where + " has no number '" + key + "'");
        }
      }
      try {
        points.add(new AllReduceCost.Measurement(o.get("replicas").asInt(), o.get("tensorMB").asDouble() * MIB,
            o.get("seconds").asDouble()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--allreduce: " + where + ": " + e.getMessage());
      }
    }
    return AllReduceCost.fit(points, file.toString());
  }
}
