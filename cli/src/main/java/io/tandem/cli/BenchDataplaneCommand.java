package io.tandem.cli;

import com.typesafe.config.ConfigFactory;
import io.tandem.actors.transport.HostTensor;
import io.tandem.actors.coordinator.ProtoOps;
import io.tandem.actors.worker.StageWorker;
import io.tandem.actors.transport.DataPlaneClient;
import io.tandem.actors.transport.DataPlaneServer;
import io.tandem.actors.transport.DataPlaneSettings;
import io.tandem.actors.transport.StageDirectory;
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
import java.util.ArrayList;
import java.util.List;
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
 * {@code tandem bench dataplane}: tensor bandwidth of the data plane (framing, sealing, chunked
 * copies, decode into a float[] handed to a recipient actor) between a client and a server over
 * loopback, with authentication on (AES-256-GCM, the default) and off (CRC32C), next to a plain
 * java socket copy of the same bytes measured in the same run. Both data planes first carry
 * {@code --warmup-mb} in 256 KiB tensors so the JIT has compiled their paths (the JDK's AES-GCM
 * runs in plain Java, at a tenth of its speed, until C2 compiles its callers).
 */
@Command(name = "dataplane", mixinStandardHelpOptions = true,
    description = "Measure data plane bandwidth on loopback next to a plain socket copy.")
public final class BenchDataplaneCommand implements Callable<Integer> {
  private static final byte[] KEY = "bench-key-bench-key-bench-key-32".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final int IN_FLIGHT = 32;

  @Option(names = "--sizes-mb", defaultValue = "1,16,64", split = ",", description = "tensor sizes in MB (default: ${DEFAULT-VALUE})")
  int[] sizesMb;

  @Option(names = "--reps", defaultValue = "8", description = "tensors sent per size after 2 warm-up sends, at least (default: ${DEFAULT-VALUE})")
  int reps;

  @Option(names = "--min-mb", defaultValue = "256", description = "each measurement moves at least this many MB (default: ${DEFAULT-VALUE})")
  int minMb;

  @Option(names = "--rounds", defaultValue = "3", description = "rounds per size; medians are printed (default: ${DEFAULT-VALUE})")
  int rounds;

  @Option(names = "--warmup-mb", defaultValue = "1024", description = "MB sent through each data plane before "
      + "measuring, so the JIT has compiled the AES-GCM and CRC32C paths (default: ${DEFAULT-VALUE})")
  int warmupMb;

  @Option(names = "--seal-threads", description = "threads sealing and opening the blocks of large signed frames, "
      + "per client and per server: auto or a count, 1 = none (default: the configuration's, auto)")
  String sealThreads;

  @Option(names = "--json", description = "one JSON object per size")
  boolean json;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  /** One data plane under test: a server, its client, and the job key it signs with (null: unsigned). */
  private record Plane(DataPlaneServer server, DataPlaneClient client, byte[] key) {}

  @Override
  public Integer call() throws Exception {
    if (reps < 1 || rounds < 1 || warmupMb < 0) {
      throw new IllegalArgumentException("--reps and --rounds must be >= 1 and --warmup-mb >= 0, got " + reps + ", "
          + rounds + " and " + warmupMb);
    }
    var config = ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load());
    ActorSystem<Void> rx = ActorSystem.create(Behaviors.empty(), "dataplane-rx", config);
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
    DataPlaneSettings settings = DataPlaneSettings.create(config);
    if (sealThreads != null) {
      settings = settings.withSealThreads(DataPlaneSettings.parseSealThreads(sealThreads));
    }
    StageDirectory signed = new StageDirectory(true);
    signed.register("bench", 1, sink);
    signed.authorize("bench", KEY);
    StageDirectory open = new StageDirectory(false);
    open.register("bench", 1, sink);
    PrintWriter out = spec.commandLine().getOut();
    try (DataPlaneServer onServer = DataPlaneServer.bind("127.0.0.1", 0, signed, settings.withAuthenticate(true));
         DataPlaneClient onClient = new DataPlaneClient(settings.withAuthenticate(true));
         DataPlaneServer offServer = DataPlaneServer.bind("127.0.0.1", 0, open, settings.withAuthenticate(false));
         DataPlaneClient offClient = new DataPlaneClient(settings.withAuthenticate(false))) {
      Plane on = new Plane(onServer, onClient, KEY);
      Plane off = new Plane(offServer, offClient, null);
      if (warmupMb > 0) { // steady state: until C2 has compiled the JDK's GCM code, AES-GCM runs in plain Java
        HostTensor warm = new HostTensor(new int[] {1 << 16}, new float[1 << 16]); // 256 KiB: one sealed block
        send(on, warm, arrived, 4 * warmupMb);
        send(off, warm, arrived, 4 * warmupMb);
      }
      for (int mb : sizesMb) {
        int floats = mb * (1 << 20) / 4;
        float[] data = new float[floats];
        SplittableRandom random = new SplittableRandom(mb);
        for (int i = 0; i < floats; i++) {
          data[i] = (float) random.nextDouble();
        }
        HostTensor tensor = new HostTensor(new int[] {floats}, data);
        int count = Math.max(reps, (minMb + mb - 1) / mb);
        double[] onMBps = new double[rounds];
        double[] socketMBps = new double[rounds];
        double[] offMBps = new double[rounds];
        double[] onRatio = new double[rounds];
        double[] offRatio = new double[rounds];
        for (int r = 0; r < rounds; r++) { // side by side, so each round's ratios share the machine's load
          onMBps[r] = measure(n -> send(on, tensor, arrived, n), tensor.bytes(), count);
          socketMBps[r] = measure(n -> socketCopy(tensor.bytes(), n), tensor.bytes(), count);
          offMBps[r] = measure(n -> send(off, tensor, arrived, n), tensor.bytes(), count);
          onRatio[r] = onMBps[r] / socketMBps[r];
          offRatio[r] = offMBps[r] / socketMBps[r];
        }
        double authOn = median(onMBps);
        double socket = median(socketMBps);
        double authOff = median(offMBps);
        if (json) {
          out.printf(Locale.ROOT, "{\"tensorMB\":%d,\"dataplaneMBps\":%.1f,\"socketMBps\":%.1f,\"ratio\":%.3f,"
              + "\"authOffMBps\":%.1f,\"authOffRatio\":%.3f,\"rounds\":%d,\"sealThreads\":%d}%n", mb, authOn, socket,
              median(onRatio), authOff, median(offRatio), rounds, settings.sealThreads());
        } else {
          out.printf(Locale.ROOT, "%3d MB tensors: data plane %.1f MB/s (%.0f%%), without authentication %.1f MB/s"
              + " (%.0f%%), plain socket %.1f MB/s (medians of %d rounds; %d seal threads)%n", mb, authOn,
              100 * median(onRatio), authOff, 100 * median(offRatio), socket, rounds, settings.sealThreads());
        }
        out.flush();
      }
    } finally {
      rx.terminate();
      rx.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    return 0;
  }

  /** Sends {@code count} copies of {@code tensor} ({@value #IN_FLIGHT} in flight) and waits until all arrived. */
  private static Void send(Plane plane, HostTensor tensor, BlockingQueue<Long> arrived, int count) throws Exception {
    TensorFrameHeader header = TensorFrameHeader.newBuilder().setJobId("bench").setTargetStage(1)
        .setProducer(ProtoOps.toProto(new Op(OpKind.F, 0, 0), 0)).build();
    List<CompletableFuture<Void>> sent = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      if (i >= IN_FLIGHT) {
        sent.get(i - IN_FLIGHT).get(120, TimeUnit.SECONDS);
      }
      sent.add(plane.client().send("127.0.0.1", plane.server().port(), header, tensor, plane.key()).toCompletableFuture());
    }
    for (int i = 0; i < count; i++) {
      Long got = arrived.poll(120, TimeUnit.SECONDS);
      if (got == null || got != tensor.bytes()) {
        throw new IllegalStateException("tensor " + i + " did not arrive intact (" + got + ")");
      }
    }
    return null;
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    java.util.Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  /** MB/s of a round of {@code count} transfers of {@code bytes}, after two warm-up rounds of one transfer each. */
  private static double measure(IntRound round, long bytes, int count) throws Exception {
    round.run(1);
    round.run(1);
    long t0 = System.nanoTime();
    round.run(count);
    double seconds = (System.nanoTime() - t0) / 1e9;
    return count * bytes / (1024.0 * 1024.0) / seconds;
  }

  /** A round of n transfers. */
  @FunctionalInterface
  private interface IntRound {
    void run(int n) throws Exception;
  }

  /** {@code count} copies of {@code bytes} through a loopback socket; returns when the reader has them all. */
  private static Void socketCopy(long bytes, int count) throws Exception {
    byte[] payload = new byte[(int) bytes];
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      long total = bytes * count;
      CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> SocketSink.drain(server, total));
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
           OutputStream o = s.getOutputStream(); InputStream ack = s.getInputStream()) {
        for (int i = 0; i < count; i++) {
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
