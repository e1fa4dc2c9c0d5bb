package io.tandem.actors.cluster;

import com.typesafe.config.Config;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;

/**
 * Pekko Management for a cluster member, driven by {@code tandem.management}: the HTTP
 * endpoint with {@code /health/ready} (ready once this member is Up and a worker node with
 * devices is up: the cluster can run a job) and {@code /health/alive},
 * and Cluster Bootstrap (members find each other through service discovery, e.g. the
 * Kubernetes API) instead of seed nodes. Both are off by default.
 *
 * @param enabled start the management HTTP endpoint
 * @param bootstrap form or join the cluster with Cluster Bootstrap (implies enabled)
 */
public record Management(boolean enabled, boolean bootstrap) {

  public static Management create(Config config) {
    Config c = config.getConfig("tandem.management");
    boolean bootstrap = c.getBoolean("bootstrap");
    return new Management(c.getBoolean("enabled") || bootstrap, bootstrap);
  }

  /** Starts what is enabled; returns the management endpoint's URI (empty when off). */
  public String start(ActorSystem<?> system) {
    if (!enabled) {
      return "";
    }
    PekkoManagement management = PekkoManagement.get(Adapter.toClassic(system));
    String uri;
    try {
      uri = management.start().toCompletableFuture().get(30, TimeUnit.SECONDS).toString();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting Pekko Management", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot start Pekko Management: "
          + (e.getCause() == null ? e : e.getCause()).getMessage(), e);
    }
    if (bootstrap) {
      ClusterBootstrap.get(Adapter.toClassic(system)).start();
    }
    return uri;
  }
}
