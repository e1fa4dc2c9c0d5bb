package io.tandem.actors.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.proto.JobSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The HTTP job spec's {@code recompute} (a string) and {@code recomputeStages} (booleans), both ways. */
class JobSpecJsonRecomputeTest {
  @Test
  void recomputeFields_parseAndPrintBack() {
    JobSpec spec = JobSpecJson.parse("{\"schedule\":\"v-half\",\"devices\":2,\"recompute\":\"planner\","
        + "\"recomputeStages\":[true,false,false,true]}");
    assertEquals("planner", spec.getRecompute());
    assertEquals(List.of(true, false, false, true), spec.getRecomputeStagesList());
    var json = JobSpecJson.toJson(spec);
    assertEquals("planner", json.get("recompute").asText());
    assertTrue(json.get("recomputeStages").get(0).isBoolean(), json.toString());
    assertEquals(spec, JobSpecJson.parse(json.toString()));
  }

  @Test
  void recompute_mustBeAString() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> JobSpecJson.parse("{\"recompute\":true}"));
    assertEquals("field 'recompute': expected a string, got true", e.getMessage());
  }
}
