package io.tandem.schedule;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/**
 * A schedule's simulated timeline in the Chrome trace event format (opens in Perfetto or
 * {@code chrome://tracing}): one process per device ({@code pid} = device, named
 * {@code device d}), one complete ({@code "ph":"X"}) event per op named like {@code F3@5}, with
 * category = op kind and args microbatch, virtual stage, chunk. One cost unit is shown as 1 ms.
 */
public final class ChromeTrace {
  /** Trace microseconds per cost unit. */
  public static final double MICROS_PER_UNIT = 1000;

  private ChromeTrace() {}

  public static String render(Schedule s, SimulationResult r) {
    OpLabels labels = new OpLabels(s.placement());
    StringWriter out = new StringWriter();
    try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("displayTimeUnit", "ms");
      g.writeObjectFieldStart("otherData");
      g.writeStringField("schedule", s.name());
      g.writeNumberField("devices", s.devices());
      g.writeNumberField("microbatches", s.microbatches());
      g.writeNumberField("makespan", r.makespan());
      g.writeNumberField("bubble", r.bubble());
      g.writeEndObject();
      g.writeArrayFieldStart("traceEvents");
      for (int d = 0; d < s.devices(); d++) {
        g.writeRaw("\n");
        metadata(g, "process_name", d, "device " + d);
        g.writeRaw("\n");
        g.writeStartObject();
        g.writeStringField("name", "process_sort_index");
        g.writeStringField("ph", "M");
        g.writeNumberField("pid", d);
        g.writeObjectFieldStart("args");
        g.writeNumberField("sort_index", d);
        g.writeEndObject();
        g.writeEndObject();
        g.writeRaw("\n");
        metadata(g, "thread_name", d, "compute");
      }
      for (OpTiming t : r.timings()) {
        g.writeRaw("\n");
        g.writeStartObject();
        g.writeStringField("name", t.op().toString());
        g.writeStringField("cat", t.op().kind().name());
        g.writeStringField("ph", "X");
        g.writeNumberField("ts", t.start() * MICROS_PER_UNIT);
        g.writeNumberField("dur", t.duration() * MICROS_PER_UNIT);
        g.writeNumberField("pid", t.device());
        g.writeNumberField("tid", 0);
        g.writeObjectFieldStart("args");
        g.writeNumberField("mb", t.op().microbatch());
        g.writeNumberField("v", t.op().virtualStage());
        g.writeNumberField("chunk", labels.chunk(t.op().virtualStage()));
        g.writeEndObject();
        g.writeEndObject();
      }
      g.writeRaw("\n");
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out + "\n";
  }

  private static void metadata(JsonGenerator g, String name, int pid, String value) throws IOException {
    g.writeStartObject();
    g.writeStringField("name", name);
    g.writeStringField("ph", "M");
    g.writeNumberField("pid", pid);
    g.writeNumberField("tid", 0);
    g.writeObjectFieldStart("args");
    g.writeStringField("name", value);
    g.writeEndObject();
    g.writeEndObject();
  }
}
