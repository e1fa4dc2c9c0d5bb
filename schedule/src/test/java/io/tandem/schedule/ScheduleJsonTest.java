package io.tandem.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ScheduleJsonTest {
  static Stream<String> names() {
    return ScheduleRegistry.names().stream();
  }

  @ParameterizedTest
  @MethodSource("names")
  void exportThenImport_isTheIdentity(String name) {
    Schedule s = ScheduleRegistry.generate(name, ScheduleSpec.of(4, 8).withCosts(new OpCosts(1, 2, 0.5, 0.125)));
    String json = ScheduleJson.write(s, Simulator.simulate(s));
    Schedule back = ScheduleJson.read(json);
    assertEquals(s, back);
    assertEquals(json, ScheduleJson.write(back, Simulator.simulate(back)));
  }

  /** The format is read by other tools: the exact bytes of small exports are pinned. */
  @ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource({"1f1b,2,2", "2bw,2,3"})
  void export_matchesGoldenFiles(String name, int p, int m) throws Exception {
    String file = "/schedules/" + name + "-p" + p + "-m" + m + ".json";
    String golden;
    try (var in = ScheduleJsonTest.class.getResourceAsStream(file)) {
      golden = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    Schedule s = ScheduleRegistry.generate(name, ScheduleSpec.of(p, m));
    assertEquals(golden, ScheduleJson.write(s, Simulator.simulate(s)));
    assertEquals(s, ScheduleJson.read(golden));
  }

  @Test
  void export_hasTheDesignKeys() throws Exception {
    Schedule s = new OneFOneB().generate(ScheduleSpec.of(2, 2));
    JsonNode root = new ObjectMapper().readTree(ScheduleJson.write(s, Simulator.simulate(s)));
    assertEquals("1f1b", root.get("name").asText());
    assertEquals(2, root.get("devices").asInt());
    assertEquals(2, root.get("microbatches").asInt());
    assertEquals(1, root.get("chunksPerDevice").asInt());
    assertEquals("[0,1]", root.get("placement").toString());
    assertEquals("{\"op\":\"F\",\"mb\":0,\"v\":0}", root.get("ops").get(0).get(0).toString());
    assertEquals("{\"F\":1.0,\"B\":1.0,\"W\":1.0,\"comm\":0.0}", root.get("costs").toString());
    assertEquals(9.0, root.get("metrics").get("makespan").asDouble());
    assertEquals(1.0 / 3, root.get("metrics").get("bubble").asDouble(), 1e-15);
    assertEquals("[2.0,1.0]", root.get("metrics").get("peakActivation").toString());
  }

  @Test
  void twoBW_opsCarryVersions() throws Exception {
    Schedule s = new PipeDream2BW().generate(ScheduleSpec.of(2, 4));
    JsonNode ops = new ObjectMapper().readTree(ScheduleJson.write(s, null)).get("ops");
    assertEquals("{\"op\":\"F\",\"mb\":0,\"v\":0,\"version\":0}", ops.get(0).get(0).toString());
    assertFalse(ScheduleJson.write(s, null).contains("metrics"));
  }

  @Test
  void costsMayBeLeftOut() {
    Schedule s = ScheduleJson.read("{\"name\":\"x\",\"devices\":1,\"microbatches\":1,\"placement\":[0],"
        + "\"ops\":[[{\"op\":\"F\",\"mb\":0,\"v\":0},{\"op\":\"BW\",\"mb\":0,\"v\":0}]]}");
    assertEquals(OpCosts.UNIT, s.costs());
    Validator.validate(s);
  }

  private static final String OK_PREFIX = "{\"name\":\"x\",\"devices\":1,\"microbatches\":1,\"placement\":[0],";

  @ParameterizedTest
  @ValueSource(strings = {
      "",
      "{",
      "{\"name\":\"x\",}",
      "[1,2]",
      "{\"name\":\"x\"} trailing",
      "{\"name\":\"x\",\"devices\":0,\"microbatches\":1,\"placement\":[],\"ops\":[]}",
      "{\"name\":\"x\",\"devices\":1.5,\"microbatches\":1,\"placement\":[0],\"ops\":[[]]}",
      "{\"name\":\"x\",\"devices\":1,\"microbatches\":-1,\"placement\":[0],\"ops\":[[]]}",
      "{\"name\":\"x\",\"devices\":2,\"microbatches\":1,\"placement\":[0,0],\"ops\":[[],[]]}",
      OK_PREFIX + "\"ops\":[[{\"op\":\"X\",\"mb\":0,\"v\":0}]]}",
      OK_PREFIX + "\"ops\":[[{\"op\":\"F\",\"mb\":-1,\"v\":0}]]}",
      OK_PREFIX + "\"ops\":[[{\"op\":\"F\",\"v\":0}]]}",
      OK_PREFIX + "\"ops\":[[],[]]}",
      OK_PREFIX + "\"ops\":[[]],\"costs\":{\"F\":-1}}",
      OK_PREFIX + "\"ops\":[[]],\"costs\":{\"F\":\"fast\"}}",
      OK_PREFIX + "\"ops\":[[]],\"costs\":{\"X\":1}}",
      OK_PREFIX + "\"chunksPerDevice\":2,\"ops\":[[]]}",
      "{\"devices\":1,\"microbatches\":1,\"placement\":[0],\"ops\":[[]]}"
  })
  void badInput_isOneLineIllegalArgument(String json) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ScheduleJson.read(json));
    assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }

  @Test
  void badInput_messagesSayWhat() {
    assertEquals("schedule JSON: devices must be >= 1, got 0", assertThrows(IllegalArgumentException.class,
        () -> ScheduleJson.read("{\"name\":\"x\",\"devices\":0,\"microbatches\":1,\"placement\":[],\"ops\":[]}"))
        .getMessage());
    assertEquals("schedule JSON: ops[0][0]: unknown op 'X' (use F, B, W or BW)",
        assertThrows(IllegalArgumentException.class,
            () -> ScheduleJson.read(OK_PREFIX + "\"ops\":[[{\"op\":\"X\",\"mb\":0,\"v\":0}]]}")).getMessage());
    assertEquals("cost F must be a finite number >= 0, got -1.0", assertThrows(IllegalArgumentException.class,
        () -> ScheduleJson.read(OK_PREFIX + "\"ops\":[[]],\"costs\":{\"F\":-1}}")).getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ScheduleJson.read("{"))
        .getMessage().startsWith("malformed schedule JSON: "));
  }
}
