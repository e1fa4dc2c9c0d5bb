package io.tandem.actors.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Descriptors.FieldDescriptor;
import io.tandem.proto.JobSpec;
import java.util.Iterator;
import java.util.Map;

/**
 * A {@link JobSpec} as JSON: one key per proto field in lowerCamelCase ({@code jobId},
 * {@code microbatchSize}, {@code checkpointEvery}, ...). A key left out takes the Java API
 * builder's default ({@link io.tandem.actors.JobSpecs#DEFAULTS}). Parsing names the offending
 * key in its error ({@link IllegalArgumentException}).
 */
public final class JobSpecJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private JobSpecJson() {}

  /** Parses {@code json} (one object); unknown keys and wrong types are errors naming the key. */
  public static JobSpec parse(String json) {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("body is not JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("body must be a JSON object with job spec fields");
    }
    JobSpec.Builder b = io.tandem.actors.JobSpecs.DEFAULTS.toBuilder();
    Iterator<Map.Entry<String, JsonNode>> fields = root.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> e = fields.next();
      FieldDescriptor f = field(e.getKey());
      if (f == null) {
        throw new IllegalArgumentException("field '" + e.getKey() + "': unknown job spec field");
      }
      if (f.isRepeated()) {
        if (!e.getValue().isArray()) {
          throw new IllegalArgumentException("field '" + e.getKey() + "': expected an array, got " + e.getValue());
        }
        for (JsonNode item : e.getValue()) {
          b.addRepeatedField(f, value(f, e.getKey(), item));
        }
      } else {
        b.setField(f, value(f, e.getKey(), e.getValue()));
      }
    }
    return b.build();
  }

  private static FieldDescriptor field(String key) {
    for (FieldDescriptor f : JobSpec.getDescriptor().getFields()) {
      if (f.getJsonName().equals(key) || f.getName().equals(key)) {
        return f;
      }
    }
    return null;
  }

  private static Object value(FieldDescriptor f, String key, JsonNode v) {
    String wrong = "field '" + key + "': expected ";
    switch (f.getJavaType()) {
      case STRING -> {
        if (!v.isTextual()) {
          throw new IllegalArgumentException(wrong + "a string, got " + v);
        }
        return v.asText();
      }
      case INT -> {
        if (!v.canConvertToInt() || !v.isIntegralNumber()) {
          throw new IllegalArgumentException(wrong + "an integer, got " + v);
        }
        return v.intValue();
      }
      case LONG -> {
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
          throw new IllegalArgumentException(wrong + "an integer, got " + v);
        }
        return v.longValue();
      }
      case DOUBLE -> {
        if (!v.isNumber()) {
          throw new IllegalArgumentException(wrong + "a number, got " + v);
        }
        return v.doubleValue();
      }
      case BOOLEAN -> {
        if (!v.isBoolean()) {
          throw new IllegalArgumentException(wrong + "true or false, got " + v);
        }
        return v.booleanValue();
      }
      default -> throw new IllegalArgumentException("field '" + key + "': type " + f.getJavaType() + " not supported");
    }
  }

  /** Every field of {@code spec} (defaults included) as a JSON object. */
  public static ObjectNode toJson(JobSpec spec) {
    ObjectNode o = MAPPER.createObjectNode();
    for (FieldDescriptor f : JobSpec.getDescriptor().getFields()) {
      if (f.isRepeated()) {
        com.fasterxml.jackson.databind.node.ArrayNode a = o.putArray(f.getJsonName());
        for (int i = 0; i < spec.getRepeatedFieldCount(f); i++) {
          Object v = spec.getRepeatedField(f, i);
          if (v instanceof Integer n) {
            a.add(n);
          } else if (v instanceof Long n) {
            a.add(n);
          } else if (v instanceof Double n) {
            a.add(n);
          } else if (v instanceof Boolean n) {
            a.add(n);
          } else {
            a.add(String.valueOf(v));
          }
        }
        continue;
      }
      Object v = spec.getField(f);
      switch (f.getJavaType()) {
        case STRING -> o.put(f.getJsonName(), (String) v);
        case INT -> o.put(f.getJsonName(), (Integer) v);
        case LONG -> o.put(f.getJsonName(), (Long) v);
        case DOUBLE -> o.put(f.getJsonName(), (Double) v);
        case BOOLEAN -> o.put(f.getJsonName(), (Boolean) v);
        default -> o.put(f.getJsonName(), String.valueOf(v));
      }
    }
    return o;
  }

  static ObjectMapper mapper() {
    return MAPPER;
  }
}
