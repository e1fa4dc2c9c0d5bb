package io.tandem.actors.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tandem.proto.TensorFrameHeader;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A peer whose process dies closes its data plane connections: the sender hears of it at once. */
class PeerLostTest {

  @Test
  void aPeerThatClosesItsConnectionIsReported_aClientThatClosesItselfIsNot() throws Exception {
    DataPlaneSettings settings = DataPlaneSettings.defaults().withAuthenticate(false);
    BlockingQueue<String> lost = new ArrayBlockingQueue<>(4);
    try (ServerSocket server = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
         DataPlaneClient client = new DataPlaneClient(settings)) {
      client.onPeerLost(lost::add);
      String host = server.getInetAddress().getHostAddress();
      client.send(host, server.getLocalPort(), TensorFrameHeader.newBuilder().setJobId("j").addShape(1).build(),
          new HostTensor(new int[] {1}, new float[] {1f}));
      try (Socket accepted = server.accept()) {
        assertNull(lost.poll(200, TimeUnit.MILLISECONDS), "an open connection is not reported");
      } // the peer closes its end, as its OS does when the process dies
      assertEquals(host + ":" + server.getLocalPort(), lost.poll(5, TimeUnit.SECONDS));
    }
    assertNull(lost.poll(300, TimeUnit.MILLISECONDS), "closing the client is not a lost peer");
  }
}
