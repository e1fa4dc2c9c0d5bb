package io.tandem.actors.transport;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.proto.TensorFrameHeader;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Layer states go on a peer's bulk connection: a step's tensor is written while a snapshot frame
 * to the same peer is stuck (its reader does not read), where one shared connection would queue
 * the tensor behind it.
 */
class BulkLaneTest {

  @Test
  void aTensorIsWrittenWhileABulkFrameToTheSamePeerIsStuck() throws Exception {
    DataPlaneSettings settings = DataPlaneSettings.defaults().withAuthenticate(false);
    try (ServerSocket server = new ServerSocket(0, 4, java.net.InetAddress.getLoopbackAddress());
         DataPlaneClient client = new DataPlaneClient(settings)) {
      server.setSoTimeout(10_000); // one shared connection: the second accept times out
      String host = server.getInetAddress().getHostAddress();
      int port = server.getLocalPort();
      HostTensor state = new HostTensor(new int[] {16 << 20}, new float[16 << 20]); // 64 MB: over any socket buffer
      CompletableFuture<Void> bulk = client.sendBulk(host, port,
          TensorFrameHeader.newBuilder().setJobId("j").addShape(16 << 20).build(), state, null).toCompletableFuture();
      try (Socket bulkConnection = server.accept()) { // accepted, never read
        CompletableFuture<Void> tensor = client.send(host, port,
            TensorFrameHeader.newBuilder().setJobId("j").addShape(4).build(), new HostTensor(new int[] {4},
                new float[] {1, 2, 3, 4})).toCompletableFuture();
        try (Socket stepConnection = server.accept()) {
          InputStream in = stepConnection.getInputStream();
          tensor.get(10, TimeUnit.SECONDS); // written on its own connection
          assertTrue(in.read() >= 0, "the tensor's frame arrives on the second connection");
          assertFalse(bulk.isDone(), "the bulk frame is still stuck on the first connection");
        }
      }
    }
  }
}
