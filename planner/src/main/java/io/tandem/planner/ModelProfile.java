package io.tandem.planner;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-layer profile of a model for microbatches of {@code microbatchSize} sequences, measured
 * ({@code tandem profile}) or analytic ({@link AnalyticProfiler}). JSON form (what {@code tandem
 * plan --profile} reads):
 *
 * <pre>{"model":"gpt-tiny","microbatchSize":4,"source":"measured cpu","passOverheadMs":0.0,
 *  "layers":[{"name":"embed","forwardMs":0.1,"backwardInputMs":0,...}, ...]}</pre>
 *
 * @param model model name
 * @param microbatchSize sequences per microbatch the numbers are for
 * @param source how it was obtained (free text)
 * @param passOverheadMs the part of each pass time that does not grow with the microbatch size
 * @param layers the layers in model order
 */
public record ModelProfile(
    String model, int microbatchSize, String source, double passOverheadMs, List<LayerProfile> layers) {
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES);

  public ModelProfile {
    layers = List.copyOf(layers);
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("a model profile needs at least one layer");
    }
    if (microbatchSize < 1) {
      throw new IllegalArgumentException("profile microbatchSize must be >= 1, got " + microbatchSize);
    }
    if (!(passOverheadMs >= 0) || Double.isInfinite(passOverheadMs)) {
      throw new IllegalArgumentException("profile passOverheadMs must be >= 0, got " + passOverheadMs);
    }
    model = model == null ? "model" : model;
    source = source == null ? "" : source;
  }

  public int numLayers() {
    return layers.size();
  }

  public LayerProfile layer(int i) {
    return layers.get(i);
  }

  /**
   * The profile for microbatches of {@code size} sequences: pass times above the overhead and
   * activation bytes scale linearly (exact for the analytic profile's matrix work, a first-order
   * estimate for a measured one).
   */
  public ModelProfile atMicrobatchSize(int size) {
    if (size < 1) {
      throw new IllegalArgumentException("microbatch size must be >= 1, got " + size);
    }
    if (size == microbatchSize) {
      return this;
    }
    double factor = (double) size / microbatchSize;
    List<LayerProfile> out = new ArrayList<>(layers.size());
    for (LayerProfile l : layers) {
      out.add(l.scaled(factor, passOverheadMs));
    }
    return new ModelProfile(model, size, source, passOverheadMs, out);
  }

  /** Weights + gradients + optimizer state of all layers. */
  public long staticBytes() {
    long n = 0;
    for (LayerProfile l : layers) {
      n += l.staticBytes();
    }
    return n;
  }

  /** F + B + W of all layers for one microbatch. */
  public double totalMs() {
    double t = 0;
    for (LayerProfile l : layers) {
      t += l.totalMs();
    }
    return t;
  }

  /** This profile as JSON text. */
  public String toJson() {
    try {
      return MAPPER.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write profile JSON", e);
    }
  }

  /** Parses {@link #toJson()}'s form; bad input is an IllegalArgumentException with one line. */
  public static ModelProfile fromJson(String json) {
    try {
      return MAPPER.readValue(json, ModelProfile.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("bad profile JSON: " + JsonProblem.describe(e));
    }
  }

  /** Writes the JSON to {@code file}. */
  public void write(Path file) {
    try {
      Files.writeString(file, toJson() + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write profile " + file + ": " + e.getMessage(), e);
    }
  }

  /** Reads a profile file; a missing or bad file is an IllegalArgumentException naming it. */
  public static ModelProfile read(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("profile file not found: " + file);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read profile " + file + ": " + e.getMessage());
    }
    try {
      return fromJson(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage());
    }
  }
}
