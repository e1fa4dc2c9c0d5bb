package io.tandem.planner;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A JSON reading error in the user's words: which field (as a path such as
 * {@code layers[2].forwardMs}) and what is wrong with it, never the JSON library's internals.
 */
final class JsonProblem {
  private static final Pattern MISSING = Pattern.compile("Missing (?:creator|required) property '([^']+)'");
  private static final Pattern NULL = Pattern.compile("Null value for creator property '([^']+)'");

  private JsonProblem() {}

  /** One line: the field at fault and why, for an exception from reading {@code JSON} into a record. */
  static String describe(JsonProcessingException e) {
    String raw = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof JsonParseException p) {
        return "not valid JSON" + at(p.getLocation()) + ": " + clean(p.getOriginalMessage());
      }
    }
    if (raw.startsWith("No content to map")) {
      return "the file is empty (expected a JSON object)";
    }
    if (e instanceof ValueInstantiationException v && v.getCause() != null) {
      String where = path(v);
      return (where.isEmpty() ? "" : where + ": ") + firstLine(v.getCause().getMessage());
    }
    String where = e instanceof JsonMappingException m ? path(m) : "";
    if (e instanceof UnrecognizedPropertyException u) {
      String known = u.getKnownPropertyIds() == null ? "" : u.getKnownPropertyIds().stream().map(Object::toString)
          .sorted().collect(Collectors.joining(", "));
      return "unknown field '" + where + "'" + (known.isEmpty() ? "" : " (known: " + known + ")");
    }
    Matcher missing = MISSING.matcher(raw);
    if (missing.find()) {
      return "missing field '" + join(where, missing.group(1)) + "'";
    }
    Matcher nul = NULL.matcher(raw);
    if (nul.find()) {
      return "field '" + join(where, nul.group(1)) + "' is null";
    }
    if (e instanceof InvalidFormatException f) {
      return "field '" + where + "': " + "'" + f.getValue() + "' is not a " + simple(f.getTargetType());
    }
    if (e instanceof MismatchedInputException m) {
      return where.isEmpty() ? "expected a JSON object" : "field '" + where + "': expected " + article(m.getTargetType());
    }
    return (where.isEmpty() ? "" : "field '" + where + "': ") + firstLine(raw);
  }

  /** The path of the field at fault: {@code layers[2].forwardMs}. */
  private static String path(JsonMappingException e) {
    StringBuilder b = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        b.append(b.length() == 0 ? "" : ".").append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        b.append('[').append(r.getIndex()).append(']');
      }
    }
    return b.toString();
  }

  private static String join(String where, String field) {
    return where.isEmpty() || where.endsWith(field) ? (where.isEmpty() ? field : where) : where + "." + field;
  }

  private static String article(Class<?> type) {
    if (type == null) {
      return "another kind of value";
    }
    if (java.util.Collection.class.isAssignableFrom(type)) {
      return "an array";
    }
    String s = simple(type);
    return (s.startsWith("o") || s.startsWith("i") ? "an " : "a ") + s;
  }

  private static String simple(Class<?> type) {
    if (type == null) {
      return "value";
    }
    if (type == int.class || type == long.class || type == Integer.class || type == Long.class) {
      return "integer";
    }
    if (type == double.class || type == float.class || type == Double.class || type == Float.class) {
      return "number";
    }
    if (type == String.class) {
      return "string";
    }
    if (type == boolean.class || type == Boolean.class) {
      return "boolean";
    }
    return type.isRecord() || !type.isPrimitive() ? "object" : type.getSimpleName();
  }

  private static String at(JsonLocation l) {
    return l == null || l.getLineNr() < 0 ? "" : " at line " + l.getLineNr() + ", column " + l.getColumnNr();
  }

  /** The parser's message without its source excerpt and marker positions. */
  private static String clean(String s) {
    String line = firstLine(s);
    int cut = line.indexOf(" (start marker");
    return cut < 0 ? line : line.substring(0, cut);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "unreadable";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
