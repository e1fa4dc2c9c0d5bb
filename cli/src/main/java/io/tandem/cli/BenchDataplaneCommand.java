package io.tandem.cli;

import com.typesafe.config.ConfigFactory;
import io.tandem.actors.HostTensor;
import io.tandem.actors.ProtoOps;
import io.tandem.actors.StageWorker;
import io.tandem.actors.dataplane.DataPlaneClient;
import io.tandem.actors.dataplane.DataPlaneServer;
import io.tandem.actors.dataplane.StageDirectory;
import io.tandem.proto.TensorFrameHeader;
import io.tandem.schedule.Op;
import io.tandem.schedule.OpKind;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tandem bench dataplane}: tensor bandwidth of the data plane (Pekko Streams TCP,
 * framing, CRC32C, decode) between a sending and a receiving actor system over loopback, next
 * to a plain java socket copy of the same bytes measured in the same run.
 */
@Command(name = "dataplane", mixinStandardHelpOptions = true,
    description = "Measure data plane bandwidth on loopback next to a plain socket copy.")
public final class BenchDataplaneCommand implements Callable<Integer> {

  @Option(names = "--sizes-mb", defaultValue = "1,16,64", split = ",", description = "tensor sizes in MB (default: ${DEFAULT-VALUE})")
  int[] sizesMb;

  @Option(names = "--reps", defaultValue = "8", description = "tensors sent per size after 2 warm-up sends (default: ${DEFAULT-VALUE})")
  int reps;

  @Option(names = "--json", description = "one JSON object per size")
  boolean json;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (reps < 1) {
      throw new IllegalArgumentException("--reps must be >= 1, got " + reps);
    }
    var config = ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load());
    ActorSystem<Void> rx = ActorSystem.create(Behaviors.empty(), "dataplane-rx", config);
    ActorSystem<Void> tx = ActorSystem.create(Behaviors.empty(), "dataplane-tx", config);
    BlockingQueue<Long> arrived = new LinkedBlockingQueue<>();
    ActorRef<StageWorker.Command> sink = rx.systemActorOf(Behaviors.receive(StageWorker.Command.class)
        .onMessage(StageWorker.TensorArrived.class, m -> {
          arrived.add(m.tensor().bytes());
          return Behaviors.same();
        })
        .onMessage(StageWorker.TensorRejected.class, m -> {
          arrived.add(-1L);
          return Behaviors.same();
        }).build(), "sink", Props.empty());
    StageDirectory directory = new StageDirectory();
    directory.register("bench", 1, sink);
    PrintWriter out = spec.commandLine().getOut();
    try (DataPlaneServer server = DataPlaneServer.bind(rx, "127.0.0.1", 0, directory, 1 << 30, Duration.ofSeconds(10));
         DataPlaneClient client = new DataPlaneClient(tx, 4)) {
      for (int mb : sizesMb) {
        int floats = mb * (1 << 20) / 4;
        float[] data = new float[floats];
        SplittableRandom random = new SplittableRandom(mb);
        for (int i = 0; i < floats; i++) {
          data[i] = (float) random.nextDouble();
        }
        HostTensor tensor = new HostTensor(new int[] {floats}, data);
        TensorFrameHeader header = TensorFrameHeader.newBuilder().setJobId("bench").setTargetStage(1)
            .setProducer(ProtoOps.toProto(new Op(OpKind.F, 0, 0), 0)).build();
        double dataPlane = measure(() -> {
          for (int i = 0; i < reps; i++) {
            client.send("127.0.0.1", server.port(), header, tensor).toCompletableFuture().get(60, TimeUnit.SECONDS);
          }
          for (int i = 0; i < reps; i++) {
            Long got = arrived.poll(120, TimeUnit.SECONDS);
            if (got == null || got != tensor.bytes()) {
              throw new IllegalStateException("tensor " + i + " did not arrive intact (" + got + ")");
            }
          }
          return null;
        }, tensor.bytes());
        double socket = measure(() -> socketCopy(tensor.bytes()), tensor.bytes());
        if (json) {
          out.printf(Locale.ROOT, "{\"tensorMB\":%d,\"dataPlaneMBps\":%.1f,\"socketMBps\":%.1f,\"ratio\":%.3f}%n",
              mb, dataPlane, socket, dataPlane / socket);
        } else {
          out.printf(Locale.ROOT, "%3d MB tensors: data plane %.1f MB/s, plain socket %.1f MB/s (%.0f%%)%n",
              mb, dataPlane, socket, 100 * dataPlane / socket);
        }
        out.flush();
      }
    } finally {
      tx.terminate();
      rx.terminate();
      tx.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      rx.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    return 0;
  }

  /** MB/s of {@code reps} transfers of {@code bytes}, after two warm-up rounds of one transfer each. */
  private double measure(Callable<Void> round, long bytes) throws Exception {
    int saved = reps;
    reps = 1;
    round.call();
    round.call();
    reps = saved;
    long t0 = System.nanoTime();
    round.call();
    double seconds = (System.nanoTime() - t0) / 1e9;
    return reps * bytes / (1024.0 * 1024.0) / seconds;
  }

  /** {@code reps} copies of {@code bytes} through a loopback socket; returns when the reader has them all. */
  private Void socketCopy(long bytes) throws Exception {
    byte[] payload = new byte[(int) bytes];
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      long total = bytes * reps;
      CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> {
        try (Socket s = server.accept(); InputStream in = s.getInputStream(); OutputStream ack = s.getOutputStream()) {
          byte[] buf = new byte[1 << 20];
          long got = 0;
          while (got < total) {
            int n = in.read(buf);
            if (n < 0) {
              throw new IOException("socket closed after " + got + " bytes");
            }
            got += n;
          }
          ack.write(1);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
           OutputStream o = s.getOutputStream(); InputStream ack = s.getInputStream()) {
        for (int i = 0; i < reps; i++) {
          o.write(payload);
        }
        o.flush();
        if (ack.read() != 1) {
          throw new IOException("no acknowledgement from the socket reader");
        }
      }
      reader.get(120, TimeUnit.SECONDS);
    }
    return null;
  }
}
