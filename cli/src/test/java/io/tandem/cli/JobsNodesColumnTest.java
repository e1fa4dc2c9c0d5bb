package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** {@code tandem jobs}' NODES column: where each job runs. */
class JobsNodesColumnTest {
  private static String nodes(String json) throws Exception {
    return AdminCommand.nodes(new ObjectMapper().readTree(json));
  }

  @Test
  void aRunningJobShowsItsNodesOnceEachInDeviceOrder() throws Exception {
    assertEquals("127.0.0.1:2552,127.0.0.1:2553", nodes("{\"plan\":{\"deviceNodes\":[\"pekko://tandem@127.0.0.1:2552\","
        + "\"pekko://tandem@127.0.0.1:2553\",\"pekko://tandem@127.0.0.1:2552\"]}}"));
  }

  @Test
  void aWaitingJobSaysWaiting_andOneWithoutNodesADash() throws Exception {
    assertEquals("waiting", nodes("{\"plan\":{\"deviceNodes\":[]},\"waiting\":\"job j waiting for 4 devices, have 2\"}"));
    assertEquals("-", nodes("{\"plan\":{\"deviceNodes\":[]}}"));
  }
}
