package io.tandem.model;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Writes parameters in the safetensors format, which PyTorch, JAX and the Hugging Face tools
 * read: an 8-byte little-endian header length, a JSON header naming each tensor's dtype
 * ({@code F32}), shape and byte range, then the raw little-endian data. A parameter with one
 * row (biases, norm scales) has shape {@code [cols]}, others {@code [rows, cols]}; names are the
 * parameters' own ({@code block0.attn.qkv.weight}, ...).
 */
public final class Safetensors {
  private Safetensors() {}

  /** Writes {@code parameters} (names must be unique) with string {@code metadata} to {@code file}. */
  public static void write(List<Parameter> parameters, Map<String, String> metadata, Path file) throws IOException {
    StringBuilder json = new StringBuilder("{\"__metadata__\":{");
    boolean first = true;
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      json.append(first ? "" : ",").append(quote(e.getKey())).append(':').append(quote(e.getValue()));
      first = false;
    }
    json.append('}');
    long offset = 0;
    java.util.Set<String> names = new java.util.HashSet<>();
    for (Parameter p : parameters) {
      if (!names.add(p.name())) {
        throw new IllegalArgumentException("two parameters are named " + p.name());
      }
      long bytes = p.size() * Float.BYTES;
      String shape = p.rows() == 1 ? "[" + p.cols() + "]" : "[" + p.rows() + "," + p.cols() + "]";
      json.append(',').append(quote(p.name())).append(":{\"dtype\":\"F32\",\"shape\":").append(shape)
          .append(",\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
      offset += bytes;
    }
    json.append('}');
    while ((json.length() + 8) % 8 != 0) {
      json.append(' ');
    }
    byte[] header = json.toString().getBytes(StandardCharsets.UTF_8);
    try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
      out.write(len.array());
      out.write(header);
      for (Parameter p : parameters) {
        float[] v = p.get();
        ByteBuffer bb = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(v);
        out.write(bb.array());
      }
    }
  }

  private static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }
}
