package io.tandem.actors.cluster;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import org.apache.pekko.actor.Address;

/**
 * Confirms that an unreachable member's process is gone, so it can be downed at once instead
 * of after the split brain resolver's stable-after period: a TCP connect to the member's Artery
 * port that the member's host refuses (a reset: nothing listens there any more) means the
 * process died, and it never comes back under that address. A process that is alive but stopped
 * (SIGSTOP) or cut off by a partition still has its port open, or does not answer at all: the
 * probe says so and the split brain resolver decides, as before.
 */
final class CrashProbe {
  /** What the probe found. */
  enum Verdict {
    /** The host refused the connection: the member's process is gone. */
    GONE,
    /** The port accepted a connection: a process listens there (maybe stopped). */
    LISTENING,
    /** No answer in time, or no address to probe: nothing confirmed. */
    UNKNOWN
  }

  private CrashProbe() {}

  /** Probes {@code member}'s Artery TCP port; blocks for at most {@code timeout}. */
  static Verdict probe(Address member, Duration timeout) {
    if (member.host().isEmpty() || member.port().isEmpty()) {
      return Verdict.UNKNOWN;
    }
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(member.host().get(), (Integer) member.port().get()), (int) timeout.toMillis());
      return Verdict.LISTENING;
    } catch (ConnectException e) {
      return Verdict.GONE;
    } catch (IOException e) {
      return Verdict.UNKNOWN;
    }
  }
}
