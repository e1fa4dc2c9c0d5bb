package io.tandem.actors.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** Ready means "can run a job": a worker member that is Up, reachable and offers devices. */
class ReadinessTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static String member(String address, String role, String status, boolean reachable, int devices) {
    StringBuilder d = new StringBuilder();
    for (int i = 0; i < devices; i++) {
      d.append(i == 0 ? "" : ",").append("{\"name\":\"cpu").append(i).append("\"}");
    }
    return "{\"address\":\"" + address + "\",\"roles\":[\"" + role + "\"],\"status\":\"" + status
        + "\",\"reachable\":" + reachable + ",\"devices\":[" + d + "]}";
  }

  private static Readiness of(String... members) throws Exception {
    return Readiness.of(JSON.readTree("{\"members\":[" + String.join(",", members) + "]}"));
  }

  @Test
  void coordinatorAlone_isNotReady() throws Exception {
    Readiness r = of(member("c", "coordinator", "UP", true, 0));
    assertFalse(r.ready());
    assertTrue(r.reason().startsWith("no worker node has joined yet"), r.reason());
    JsonNode j = r.toJson();
    assertEquals("not ready", j.get("status").asText());
    assertEquals(1, j.get("members").size());
  }

  @Test
  void workersJoiningUnreachableOrWithoutDevices_areNotReady() throws Exception {
    assertFalse(of(member("c", "coordinator", "UP", true, 0), member("w", "worker", "JOINING", true, 2)).ready());
    assertFalse(of(member("w", "worker", "UP", false, 2)).ready());
    assertFalse(of(member("w", "worker", "UP", true, 0)).ready());
  }

  @Test
  void anUpWorkerWithDevices_isReadyAndCounted() throws Exception {
    Readiness r = of(member("c", "coordinator", "UP", true, 0), member("w1", "worker", "UP", true, 2),
        member("w2", "worker", "JOINING", true, 1));
    assertTrue(r.ready());
    assertEquals(2, r.devices());
    JsonNode j = r.toJson();
    assertEquals("ready", j.get("status").asText());
    assertEquals("1 worker node(s) up with 2 device(s)", j.get("reason").asText());
    assertEquals(2, j.get("members").get(1).get("devices").asInt());
    assertEquals("JOINING", j.get("members").get(2).get("status").asText());
  }
}
