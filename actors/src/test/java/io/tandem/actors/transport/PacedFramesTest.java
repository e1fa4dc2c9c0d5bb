package io.tandem.actors.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.proto.TensorFrameHeader;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The pieces of a large transfer (a 100M-parameter model's gradient all-reduce is hundreds of
 * them) are paced: far more than the peer's queue holds wait their turn instead of failing, and
 * the step's own tensors still find room in the queue behind a few of them.
 */
class PacedFramesTest {

  @Test
  void manyPacedFramesWaitForRoom_andOtherTensorsStillFit() throws Exception {
    DataPlaneSettings settings = DataPlaneSettings.defaults().withAuthenticate(false);
    int queue = settings.queueFrames();
    try (ServerSocket server = new ServerSocket(0, 4, java.net.InetAddress.getLoopbackAddress());
         DataPlaneClient client = new DataPlaneClient(settings)) {
      server.setSoTimeout(10_000);
      String host = server.getInetAddress().getHostAddress();
      int port = server.getLocalPort();
      HostTensor piece = new HostTensor(new int[] {1 << 18}, new float[1 << 18]); // 1 MB
      List<CompletableFuture<Void>> pieces = new ArrayList<>();
      for (int i = 0; i < 3 * queue; i++) {
        pieces.add(client.sendPaced(host, port, TensorFrameHeader.newBuilder().setJobId("j").setAllReduce(true)
            .setPiece(i).addShape(1 << 18).build(), piece, null).toCompletableFuture());
      }
      try (Socket connection = server.accept()) { // not read yet: the writer soon blocks
        Thread.sleep(200);
        assertTrue(pieces.stream().noneMatch(CompletableFuture::isCompletedExceptionally),
            "no piece failed for a full queue");
        List<CompletableFuture<Void>> tensors = new ArrayList<>();
        for (int i = 0; i < queue / 2; i++) {
          tensors.add(client.send(host, port, TensorFrameHeader.newBuilder().setJobId("j").addShape(4).build(),
              new HostTensor(new int[] {4}, new float[] {1, 2, 3, 4})).toCompletableFuture());
        }
        assertFalse(tensors.stream().anyMatch(CompletableFuture::isCompletedExceptionally),
            "the step's tensors find room behind the queued pieces");
        InputStream in = connection.getInputStream();
        byte[] buffer = new byte[1 << 20];
        CompletableFuture<Void> all = CompletableFuture.allOf(pieces.toArray(CompletableFuture[]::new))
            .thenCombine(CompletableFuture.allOf(tensors.toArray(CompletableFuture[]::new)), (a, b) -> null);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        connection.setSoTimeout(100);
        while (!all.isDone() && System.nanoTime() < deadline) {
          try {
            if (in.read(buffer) < 0) {
              break;
            }
          } catch (java.net.SocketTimeoutException e) {
            // nothing to read right now
          }
        }
        all.get(1, TimeUnit.SECONDS); // every piece and tensor written, none failed
        assertEquals(3 * queue, pieces.stream().filter(f -> f.isDone() && !f.isCompletedExceptionally()).count());
      }
    }
  }
}
