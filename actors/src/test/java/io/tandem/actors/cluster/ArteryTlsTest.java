package io.tandem.actors.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import io.tandem.actors.TestCertificates;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Artery over TLS with mutual authentication, certificates made here with keytool: members with
 * the cluster's certificate join; a member with another certificate is refused.
 *
 * <p>The timeout covers closing the three nodes: usually seconds, but after the intruder was
 * quarantined one actor system's termination was seen to hang until {@link ClusterNode#close}'s
 * own 90 s bound (cause not found yet), so the test allows for that rather than fail on it.
 */
@Timeout(300)
class ArteryTlsTest {
  static final String PASSWORD = "test-secret";
  @TempDir static Path dir;
  static ArteryTls good;
  static ArteryTls rogue;

  static ArteryTls identity(String name) throws Exception {
    TestCertificates.Identity id = TestCertificates.create(dir, name, PASSWORD);
    return new ArteryTls(id.keyStore(), PASSWORD, id.trustStore(), PASSWORD);
  }

  @BeforeAll
  static void certificates() throws Exception {
    good = identity("tandem-cluster");
    rogue = identity("rogue");
  }

  static List<Member> members(ClusterNode node) {
    List<Member> members = new ArrayList<>();
    Cluster.get(node.system()).state().getMembers().forEach(members::add);
    return members;
  }

  static long upMembers(ClusterNode node) {
    return members(node).stream().filter(m -> m.status() == MemberStatus.up()).count();
  }

  static boolean waitFor(java.util.function.BooleanSupplier condition, Duration limit) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(100);
    }
    return condition.getAsBoolean();
  }

  @Test
  void memberWithTheClustersCertificateJoins_oneWithAnotherIsRefused() throws Exception {
    try (ClusterNode seed = ClusterNode.start("127.0.0.1", 0, List.of(), List.of("coordinator"), 0, good.config());
        ClusterNode member = ClusterNode.start("127.0.0.1", 0, List.of("127.0.0.1:" + seed.port()),
            List.of("worker"), 1, good.config())) {
      assertTrue(waitFor(() -> upMembers(seed) == 2, Duration.ofSeconds(30)), "the trusted member joins over TLS");
      try (ClusterNode intruder = ClusterNode.start("127.0.0.1", 0, List.of("127.0.0.1:" + seed.port()),
          List.of("worker"), 1, rogue.config())) {
        assertFalse(waitFor(() -> members(seed).size() > 2 || upMembers(intruder) > 0, Duration.ofSeconds(8)),
            "a member with an untrusted certificate never joins");
        assertEquals(2, upMembers(seed));
      }
    }
  }
}
