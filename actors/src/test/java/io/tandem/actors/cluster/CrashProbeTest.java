package io.tandem.actors.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.ServerSocket;
import java.time.Duration;
import org.apache.pekko.actor.Address;
import org.junit.jupiter.api.Test;

class CrashProbeTest {
  static Address member(int port) {
    return new Address("pekko", "tandem", "127.0.0.1", port);
  }

  @Test
  void aPortNothingListensOn_isAGoneProcess() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    assertEquals(CrashProbe.Verdict.GONE, CrashProbe.probe(member(port), Duration.ofMillis(500)));
  }

  @Test
  void aListeningPort_isNotConfirmed() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      assertEquals(CrashProbe.Verdict.LISTENING, CrashProbe.probe(member(s.getLocalPort()), Duration.ofMillis(500)));
    }
  }

  @Test
  void anAddressWithoutHost_isUnknown() {
    assertEquals(CrashProbe.Verdict.UNKNOWN, CrashProbe.probe(new Address("pekko", "tandem"), Duration.ofMillis(100)));
  }
}
