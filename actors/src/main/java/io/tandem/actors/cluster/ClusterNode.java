package io.tandem.actors.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.tandem.actors.JobEvent;
import io.tandem.actors.transport.DataPlaneClient;
import io.tandem.actors.transport.DataPlaneServer;
import io.tandem.actors.transport.DataPlaneSettings;
import io.tandem.actors.transport.StageDirectory;
import io.tandem.kernels.CudaDevices;
import io.tandem.kernels.FakeCuda;
import io.tandem.proto.JobSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * One cluster member (one per JVM): an actor system on Artery TCP with roles {@code coordinator}
 * and/or {@code worker}. Every member starts the {@link JobMaster} singleton (it runs on the
 * oldest coordinator-role member; others get a proxy). A worker member also runs a data plane
 * server and a {@link NodeAgent}.
 */
public final class ClusterNode implements AutoCloseable {
  /** The actor system name every member shares. */
  public static final String SYSTEM = "tandem";
  /** Name of a worker member's node agent, a system actor: {@code <address>/system/node-agent}. */
  public static final String NODE_AGENT = "node-agent";

  private final ActorSystem<Void> system;
  private final ClusterSettings settings;
  private final ActorRef<JobMaster.Command> jobMaster;
  private final DataPlaneServer dataPlane;
  private final DataPlaneClient client;
  private final AtomicLong listeners = new AtomicLong();
  private volatile String managementUri = "";

  /** This member's effective configuration (Pekko's and Tandem's settings). */
  public com.typesafe.config.Config config() {
    return system.settings().config();
  }

  private ClusterNode(ActorSystem<Void> system, boolean worker, int devices, String host) {
    this.system = system;
    this.settings = ClusterSettings.create(system.settings().config());
    this.jobMaster = ClusterSingleton.get(system).init(
        SingletonActor.of(Behaviors.supervise(JobMaster.create(settings))
                .onFailure(org.apache.pekko.actor.typed.SupervisorStrategy.restartWithBackoff(
                    Duration.ofMillis(200), Duration.ofSeconds(5), 0.2)), "job-master")
            .withStopMessage(JobMaster.Stop.INSTANCE)
            .withSettings(ClusterSingletonSettings.create(system).withRole("coordinator")));
    if (worker) {
      DataPlaneSettings dataPlaneSettings = DataPlaneSettings.create(system.settings().config());
      StageDirectory directory = new StageDirectory(dataPlaneSettings.authenticate());
      Cluster cluster = Cluster.get(system);
      this.dataPlane = DataPlaneServer.bind(host, 0, directory, dataPlaneSettings, peer -> isMemberHost(cluster, peer));
      this.client = new DataPlaneClient(dataPlaneSettings);
      CudaDevices cuda = new CudaDevices(fakeCuda(system.settings().config()));
      system.systemActorOf(NodeAgent.create(address(), devices, cuda, cuda.discover(), dataPlane.host(),
          dataPlane.port(), directory, client), NODE_AGENT, Props.empty());
    } else {
      this.dataPlane = null;
      this.client = null;
    }
  }

  /** The {@code tandem.cuda} fake devices of the configuration (system properties included). */
  static FakeCuda fakeCuda(Config config) {
    Config c = config.getConfig("tandem.cuda");
    return FakeCuda.parse(c.getString("fake-devices"), c.getString("fake-fault"), c.getString("fake-open-log"));
  }

  /** True when {@code peer}'s host is the host of a cluster member (data plane connections from others are refused). */
  private static boolean isMemberHost(Cluster cluster, java.net.InetSocketAddress peer) {
    if (peer.getAddress() == null) {
      return false;
    }
    for (org.apache.pekko.cluster.Member m : cluster.state().getMembers()) {
      String host = m.address().host().getOrElse(() -> "");
      try {
        for (java.net.InetAddress a : java.net.InetAddress.getAllByName(host)) {
          if (a.equals(peer.getAddress())) {
            return true;
          }
        }
      } catch (java.net.UnknownHostException e) {
        // a member whose name does not resolve here cannot be this peer
      }
    }
    return false;
  }

  /**
   * Starts a member on {@code host:port} (0 = any free port) joining {@code seeds}
   * ({@code host:port} each; empty = found a new cluster with this member as its seed).
   *
   * @param roles {@code coordinator}, {@code worker}, or both
   * @param devices devices a worker member offers
   */
  public static ClusterNode start(String host, int port, List<String> seeds, List<String> roles, int devices) {
    return start(host, port, seeds, roles, devices, ConfigFactory.empty());
  }

  /**
   * Like {@link #start(String, int, List, List, int)} with {@code overrides} on top of every
   * other setting (e.g. Artery TLS settings, or {@code tandem.management}).
   */
  public static ClusterNode start(String host, int port, List<String> seeds, List<String> roles, int devices,
      Config overrides) {
    List<String> seedAddresses = new ArrayList<>();
    for (String s : seeds) {
      if (!s.matches("[^:]+:\\d+")) {
        throw new IllegalArgumentException("--seeds takes host:port[,host:port...], got '" + s + "'");
      }
      seedAddresses.add("pekko://" + SYSTEM + "@" + s);
    }
    Config config = overrides
        .withValue("pekko.actor.provider", ConfigValueFactory.fromAnyRef("cluster"))
        .withValue("pekko.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef(host))
        .withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(port))
        .withValue("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(seedAddresses))
        .withValue("pekko.cluster.roles", ConfigValueFactory.fromIterable(roles))
        .withValue("pekko.coordinated-shutdown.exit-jvm", ConfigValueFactory.fromAnyRef("off"))
        .withFallback(overrides)
        .withFallback(ConfigFactory.defaultOverrides())
        .withFallback(ConfigFactory.defaultApplication())
        .withFallback(ConfigFactory.parseResources(ClusterNode.class.getClassLoader(), "tandem-cluster.conf"))
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), SYSTEM, config);
    try {
      Management management = Management.create(config);
      if (seeds.isEmpty() && !management.bootstrap()) {
        Cluster cluster = Cluster.get(system);
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
      }
      ClusterNode node = new ClusterNode(system, roles.contains("worker"), devices, host);
      node.managementUri = management.start(system);
      return node;
    } catch (RuntimeException e) {
      system.terminate();
      throw e;
    }
  }

  public ActorSystem<Void> system() {
    return system;
  }

  /** This member's address, e.g. {@code pekko://tandem@127.0.0.1:25520}. */
  public Address address() {
    return Cluster.get(system).selfMember().address();
  }

  /** The Pekko Management endpoint (e.g. {@code http://127.0.0.1:8558}); empty when it is off. */
  public String managementUri() {
    return managementUri;
  }

  /** The Artery port this member listens on. */
  public int port() {
    return (Integer) address().port().get();
  }

  /**
   * Submits {@code spec} to the cluster's job master without waiting. Every event goes to
   * {@code onEvent} (on an actor thread: keep it short); the returned stage completes with the
   * terminal one ({@link JobEvent#terminal()}: succeeded, failed or cancelled).
   *
   * @param minNodes worker nodes to wait for before the job starts
   */
  public CompletableFuture<JobEvent> submit(JobSpec spec, int minNodes, Consumer<JobEvent> onEvent) {
    CompletableFuture<JobEvent> result = new CompletableFuture<>();
    Behavior<JobEvent> listener = Behaviors.receive(JobEvent.class).onAnyMessage(event -> {
      onEvent.accept(event);
      if (!event.terminal()) {
        return Behaviors.same();
      }
      result.complete(event);
      return Behaviors.stopped();
    }).build();
    ActorRef<JobEvent> replyTo = system.systemActorOf(listener,
        "job-listener-" + spec.getJobId().replaceAll("[^A-Za-z0-9_-]", "-") + "-" + listeners.incrementAndGet(),
        Props.empty());
    jobMaster.tell(new JobMaster.SubmitJob(spec, minNodes, replyTo));
    return result;
  }

  /**
   * Submits {@code spec} to the cluster's job master and waits for its end. Every event goes to
   * {@code onEvent} (on an actor thread: keep it short).
   *
   * @param minNodes worker nodes to wait for before the job starts
   * @param limit how long the whole job may take
   */
  public JobEvent run(JobSpec spec, int minNodes, Duration limit, Consumer<JobEvent> onEvent) {
    CompletableFuture<JobEvent> result = submit(spec, minNodes, onEvent);
    try {
      return result.get(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      return new JobEvent.JobFailed("job " + spec.getJobId() + " did not end within " + limit.toSeconds() + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new JobEvent.JobFailed("interrupted");
    } catch (ExecutionException e) {
      return new JobEvent.JobFailed(String.valueOf(e.getCause()));
    }
  }

  /**
   * Asks the job master to cancel {@code jobId}; its submitter gets {@link JobEvent.JobCancelled}
   * (an id that is not running is ignored).
   */
  public void cancel(String jobId, String reason) {
    jobMaster.tell(new JobMaster.CancelJob(jobId, reason));
  }

  /**
   * Asks the job master to checkpoint {@code jobId} at its next step boundary; the outcome
   * reaches its submitter as a {@code checkpoint} or {@code checkpoint-skipped} progress event.
   */
  public void checkpoint(String jobId) {
    jobMaster.tell(new JobMaster.CheckpointJob(jobId));
  }

  /**
   * Asks the job master to drain {@code node}: the running job moves off it at the next step
   * boundary, then the node leaves the cluster.
   */
  public void drain(Address node) {
    jobMaster.tell(new JobMaster.DrainNode(node.toString()));
  }

  /** Blocks until this member's actor system has terminated. */
  public void awaitTermination() throws InterruptedException {
    try {
      system.getWhenTerminated().toCompletableFuture().get();
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  /** Leaves the cluster and stops the actor system (waits up to 90 s: a worker first drains its jobs). */
  @Override
  public void close() {
    // coordinated shutdown first: a worker lets its jobs checkpoint and move off it (the data
    // plane must still carry that step), then leaves the cluster
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(90, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // best effort
    }
    try {
      if (client != null) {
        client.close();
      }
      if (dataPlane != null) {
        dataPlane.close();
      }
    } catch (RuntimeException e) {
      // the actor system (and its streams) are gone already
    }
  }
}
