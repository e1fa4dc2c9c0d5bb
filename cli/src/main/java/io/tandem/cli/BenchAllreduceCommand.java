package io.tandem.cli;

import com.typesafe.config.ConfigFactory;
import io.tandem.actors.transport.DataPlaneClient;
import io.tandem.actors.transport.DataPlaneServer;
import io.tandem.actors.transport.DataPlaneSettings;
import io.tandem.actors.transport.StageDirectory;
import io.tandem.actors.transport.TensorTransport;
import io.tandem.actors.worker.GradientAllReduce;
import io.tandem.actors.worker.GradientSlices;
import io.tandem.actors.worker.StageWorker;
import io.tandem.model.optim.GradientReduction;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tandem bench allreduce}: the data-parallel gradient all-reduce ({@link GradientAllReduce}:
 * direct reduce-scatter + all-gather, sums in replica order) between D data plane endpoints in this
 * JVM (each its own server and client; the frames cross loopback sockets), next to the plain socket
 * bandwidth measured the way the pattern uses the links: every endpoint streaming to every other
 * at once. Authentication on (HMAC-SHA256, the default) and off (CRC32C) side by side.
 */
@Command(name = "allreduce", mixinStandardHelpOptions = true,
    description = "Measure the gradient all-reduce over the data plane next to its bus-bandwidth bound.")
public final class BenchAllreduceCommand implements Callable<Integer> {
  private static final byte[] KEY = "bench-key-bench-key-bench-key-32".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final String JOB = "bench-allreduce";
  private static final double MB = 1 << 20;

  @Option(names = "--replicas", defaultValue = "2,4", split = ",", description = "replica counts D (default: ${DEFAULT-VALUE})")
  int[] replicas;

  @Option(names = "--sizes-mb", defaultValue = "16,64", split = ",", description = "gradient sizes in MB of floats (default: ${DEFAULT-VALUE})")
  int[] sizesMb;

  @Option(names = "--rounds", defaultValue = "5", description = "measured all-reduces per (D, size) after 2 warm-ups; medians are printed (default: ${DEFAULT-VALUE})")
  int rounds;

  @Option(names = "--seal-threads", description = "threads sealing and opening the blocks of large signed frames, "
      + "per client and per server: auto or a count, 1 = none (default: the configuration's, auto)")
  String sealThreads;

  @Option(names = "--json", description = "one JSON object per (D, size)")
  boolean json;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  /** One replica's endpoint: its worker stand-in (an actor holding the all-reduce), compute thread and data plane. */
  private static final class Endpoint {
    final int replica;
    final ExecutorService compute = Executors.newSingleThreadExecutor();
    GradientAllReduce reduce;
    DataPlaneServer server;
    DataPlaneClient client;
    volatile CompletableFuture<float[]> result = new CompletableFuture<>();

    Endpoint(int replica) {
      this.replica = replica;
    }
  }

  @Override
  public Integer call() throws Exception {
    if (rounds < 1) {
      throw new IllegalArgumentException("--rounds must be >= 1, got " + rounds);
    }
    for (int d : replicas) {
      if (d < 2) {
        throw new IllegalArgumentException("--replicas must be >= 2 each, got " + d);
      }
    }
    for (int s : sizesMb) {
      if (s < 1) {
        throw new IllegalArgumentException("--sizes-mb must be >= 1 each, got " + s);
      }
    }
    var config = ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load());
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "bench-allreduce", config);
    PrintWriter out = spec.commandLine().getOut();
    DataPlaneSettings configured = DataPlaneSettings.create(config);
    DataPlaneSettings settings = sealThreads == null ? configured
        : configured.withSealThreads(DataPlaneSettings.parseSealThreads(sealThreads));
    try {
      for (int d : replicas) {
        for (int mb : sizesMb) {
          int floats = (int) (mb * MB / 4);
          float[][] gradients = new float[d][];
          for (int r = 0; r < d; r++) {
            gradients[r] = random(floats, 1000L * d + r);
          }
          double[] on = new double[rounds];
          double[] off = new double[rounds];
          double[] socket = new double[rounds];
          String name = "d" + d + "-" + mb;
          try (Mesh signed = Mesh.open(system, name + "-on", d, settings.withAuthenticate(true), KEY);
               Mesh open = Mesh.open(system, name + "-off", d, settings.withAuthenticate(false), null)) {
            float[] expected = reference(gradients);
            for (int w = 0; w < 2; w++) {
              signed.allReduce(gradients, w, expected);
              open.allReduce(gradients, w, expected);
              socketRound(d, (long) floats * 4);
            }
            for (int i = 0; i < rounds; i++) { // side by side, so each round's numbers share the machine's load
              on[i] = signed.allReduce(gradients, 2 + i, i == 0 ? expected : null);
              off[i] = open.allReduce(gradients, 2 + i, null);
              socket[i] = socketRound(d, (long) floats * 4);
            }
          }
          print(out, d, mb, median(on), median(off), median(socket), settings.sealThreads());
        }
      }
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    return 0;
  }

  private void print(PrintWriter out, int d, int mb, double seconds, double offSeconds, double socketSeconds,
      int seal) {
    double busFactor = 2.0 * (d - 1) / d;
    double socketMBps = busFactor * mb / socketSeconds;
    double bound = busFactor * mb / socketMBps;
    if (json) {
      out.printf(Locale.ROOT, "{\"replicas\":%d,\"tensorMB\":%d,\"seconds\":%.4f,\"algbwMBps\":%.1f,\"busbwMBps\":%.1f,"
          + "\"socketMBps\":%.1f,\"boundSeconds\":%.4f,\"ratio\":%.3f,\"authenticated\":true,"
          + "\"authOffSeconds\":%.4f,\"authOffBusbwMBps\":%.1f,\"authOffRatio\":%.3f,"
          + "\"endpoints\":\"one JVM, %d data plane servers on loopback\",\"rounds\":%d,\"sealThreads\":%d}%n",
          d, mb, seconds, mb / seconds, mb / seconds * busFactor, socketMBps, bound, bound / seconds,
          offSeconds, mb / offSeconds * busFactor, bound / offSeconds, d, rounds, seal);
    } else {
      out.printf(Locale.ROOT, "D=%d, %3d MB: %.3f s, bus bandwidth %.1f MB/s (%.0f%% of the plain socket bound %.3f s at"
          + " %.1f MB/s); without authentication %.3f s (%.0f%%); medians of %d rounds, %d endpoints in this JVM,"
          + " %d seal threads each%n",
          d, mb, seconds, mb / seconds * busFactor, 100 * bound / seconds, bound, socketMBps, offSeconds,
          100 * bound / offSeconds, rounds, d, seal);
    }
    out.flush();
  }

  /** D endpoints of one job, each with its own data plane server and client, wired to each other. */
  private record Mesh(List<Endpoint> endpoints, List<ActorRef<StageWorker.Command>> refs) implements AutoCloseable {

    static Mesh open(ActorSystem<Void> system, String name, int d, DataPlaneSettings settings, byte[] key) {
      List<Endpoint> endpoints = new ArrayList<>();
      List<ActorRef<StageWorker.Command>> refs = new ArrayList<>();
      for (int r = 0; r < d; r++) {
        Endpoint e = new Endpoint(r);
        endpoints.add(e);
        refs.add(system.systemActorOf(worker(e), name + "-replica-" + r, Props.empty()));
      }
      Map<ActorRef<StageWorker.Command>, Integer> ports = new HashMap<>();
      for (Endpoint e : endpoints) {
        StageDirectory directory = new StageDirectory(key != null);
        directory.register(JOB, e.replica, 0, refs.get(e.replica));
        if (key != null) {
          directory.authorize(JOB, key);
        }
        e.server = DataPlaneServer.bind("127.0.0.1", 0, directory, settings);
        e.client = new DataPlaneClient(settings);
        ports.put(refs.get(e.replica), e.server.port());
      }
      for (Endpoint e : endpoints) {
        DataPlaneClient client = e.client;
        TensorTransport transport = (owner, frame) ->
            client.send("127.0.0.1", ports.get(owner), frame.header(), frame.tensor(), key);
        e.reduce = new GradientAllReduce(JOB, e.replica, refs, Set.of(0), transport);
      }
      return new Mesh(endpoints, refs);
    }

    /**
     * One all-reduce of {@code gradients[r]} at each replica r: seconds from the first scatter until
     * every replica holds the reduced gradient. Checks it against {@code expected} unless null.
     */
    double allReduce(float[][] gradients, long step, float[] expected) throws Exception {
      for (Endpoint e : endpoints) {
        synchronized (e) {
          e.reduce.begin(step);
          e.result = new CompletableFuture<>();
        }
      }
      long t0 = System.nanoTime();
      List<CompletableFuture<?>> scattered = new ArrayList<>();
      for (Endpoint e : endpoints) {
        float[] g = gradients[e.replica];
        scattered.add(CompletableFuture.supplyAsync(() -> e.reduce.scatter(step, 0, g), e.compute)
            .thenCompose(s -> s));
      }
      for (Endpoint e : endpoints) {
        float[] got = e.result.get(300, TimeUnit.SECONDS);
        if (expected != null && !Arrays.equals(got, expected)) {
          throw new IllegalStateException("replica " + e.replica + "'s reduced gradient differs from the sum in"
              + " replica order");
        }
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      CompletableFuture.allOf(scattered.toArray(CompletableFuture[]::new)).get(300, TimeUnit.SECONDS);
      return seconds;
    }

    @Override
    public void close() {
      for (Endpoint e : endpoints) {
        e.client.close();
        e.server.close();
        e.compute.shutdownNow();
      }
    }
  }

  /**
   * A replica's worker stand-in, as {@link StageWorker} does it: frames go to the all-reduce; a
   * complete slice is summed on the compute thread and gathered; a complete bucket is loaded on it
   * (a copy into the replica's gradient buffer).
   */
  private static Behavior<StageWorker.Command> worker(Endpoint e) {
    float[][] loadedInto = new float[1][];
    return Behaviors.receive(StageWorker.Command.class)
        .onMessage(StageWorker.TensorArrived.class, m -> {
          GradientAllReduce.Ready ready;
          synchronized (e) {
            ready = e.reduce.arrived(m.header(), m.tensor());
          }
          CompletableFuture<float[]> result = e.result;
          if (ready instanceof GradientAllReduce.SumSlice sum) {
            CompletableFuture.supplyAsync(() -> GradientSlices.sum(sum.parts()), e.compute).thenCompose(reduced -> e.reduce.gather(sum.step(), sum.bucket(), sum.piece(), reduced))
                .whenComplete((ok, err) -> {
                  if (err != null) {
                    result.completeExceptionally(err);
                  }
                });
          } else if (ready instanceof GradientAllReduce.LoadBucket load) {
            CompletableFuture.runAsync(() -> { // as a device loads it: the pieces copied in, in order
              int n = GradientSlices.length(load.pieces());
              if (loadedInto[0] == null || loadedInto[0].length != n) {
                loadedInto[0] = new float[n];
              }
              result.complete(GradientSlices.concatInto(load.pieces(), loadedInto[0]));
            }, e.compute);
          }
          return Behaviors.same();
        })
        .onMessage(StageWorker.TensorRejected.class, m -> {
          e.result.completeExceptionally(new IllegalStateException("data plane rejected a frame: " + m.reason()));
          return Behaviors.same();
        })
        .build();
  }

  private static float[] random(int n, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] g = new float[n];
    for (int i = 0; i < n; i++) {
      g[i] = (float) (random.nextDouble() - 0.5);
    }
    return g;
  }

  /** The sum in replica order, as {@link GradientReduction} defines it. */
  private static float[] reference(float[][] gradients) {
    float[] sum = gradients[0].clone();
    for (int r = 1; r < gradients.length; r++) {
      GradientReduction.add(sum, gradients[r]);
    }
    return sum;
  }

  /**
   * The plain socket baseline, used as the pattern uses the links: D endpoints, each streaming
   * {@code 2 * bytes / d} (a reduce-scatter slice and an all-gather slice) to every other endpoint
   * over its own loopback connection, all at once; seconds until every endpoint received all. Each
   * endpoint so sends and receives {@code 2(D-1)/D * bytes}, what it moves in the all-reduce.
   */
  private static double socketRound(int d, long bytes) throws Exception {
    long perLink = 2 * bytes / d;
    List<ServerSocket> servers = new ArrayList<>();
    ExecutorService threads = Executors.newCachedThreadPool();
    try {
      for (int r = 0; r < d; r++) {
        servers.add(new ServerSocket(0, d, InetAddress.getLoopbackAddress()));
      }
      List<CompletableFuture<Void>> readers = new ArrayList<>();
      for (ServerSocket server : servers) {
        for (int from = 1; from < d; from++) {
          readers.add(CompletableFuture.runAsync(() -> SocketSink.drain(server, perLink), threads));
        }
      }
      byte[] payload = new byte[1 << 20];
      List<Socket> sockets = new ArrayList<>();
      for (int from = 0; from < d; from++) {
        for (int to = 0; to < d; to++) {
          if (to != from) {
            sockets.add(new Socket(InetAddress.getLoopbackAddress(), servers.get(to).getLocalPort()));
          }
        }
      }
      long t0 = System.nanoTime();
      List<CompletableFuture<Void>> writers = new ArrayList<>();
      for (Socket s : sockets) {
        writers.add(CompletableFuture.runAsync(() -> {
          try (s; OutputStream o = s.getOutputStream(); InputStream ack = s.getInputStream()) {
            long sent = 0;
            while (sent < perLink) {
              int n = (int) Math.min(payload.length, perLink - sent);
              o.write(payload, 0, n);
              sent += n;
            }
            o.flush();
            if (ack.read() != 1) {
              throw new IOException("no acknowledgement from the socket reader");
            }
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }, threads));
      }
      CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(300, TimeUnit.SECONDS);
      double seconds = (System.nanoTime() - t0) / 1e9;
      CompletableFuture.allOf(readers.toArray(CompletableFuture[]::new)).get(300, TimeUnit.SECONDS);
      return seconds;
    } finally {
      for (ServerSocket s : servers) {
        s.close();
      }
      threads.shutdownNow();
    }
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}
