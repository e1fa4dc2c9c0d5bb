package io.tandem.actors.admin;

import io.tandem.actors.cluster.ClusterNode;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The admin HTTP server of a coordinator node (Pekko HTTP): serves {@link AdminRoutes} on
 * {@code host:port}, for the jobs submitted through it and those the node's job master took over
 * ({@link io.tandem.actors.cluster.TakenOverJobs}). Closing it unbinds the port.
 */
public final class AdminServer implements AutoCloseable {
  private final ServerBinding binding;
  private final AdminRoutes routes;
  private final String host;
  private final boolean https;

  private AdminServer(ServerBinding binding, AdminRoutes routes, String host, boolean https) {
    this.binding = binding;
    this.routes = routes;
    this.host = host;
    this.https = https;
  }

  /**
   * Starts the admin server of {@code node} on {@code host:port} (0 = any free port): jobs
   * posted to it run on the node's cluster. {@code extra} routes are served authenticated.
   */
  public static AdminServer start(ClusterNode node, String host, int port, String token, List<Route> extra) {
    return start(node, host, port, token, extra, null);
  }

  /**
   * Like {@link #start(ClusterNode, String, int, String, List)}, serving HTTPS with {@code tls}
   * (see {@link #tls}) when it is not null.
   */
  public static AdminServer start(ClusterNode node, String host, int port, String token, List<Route> extra,
      javax.net.ssl.SSLContext tls) {
    ActorSystem<Void> system = node.system();
    io.tandem.actors.cluster.TakenOverJobs takenOver = io.tandem.actors.cluster.TakenOverJobs.get(system);
    JobRegistry jobs = new JobRegistry((spec, minNodes, onEvent) -> node.submit(spec, minNodes, onEvent),
        takenOver::get, takenOver::all);
    AdminRoutes routes = new AdminRoutes(token, jobs,
        () -> ClusterAdminRoutes.describe(system).thenApply(Readiness::of));
    List<Route> all = new java.util.ArrayList<>(new ClusterAdminRoutes(node, jobs).routes());
    all.addAll(extra);
    return bind(system, host, port, routes, all, tls);
  }

  /** Serves {@code routes} (plus {@code extra}, authenticated) on {@code host:port}. */
  public static AdminServer bind(ActorSystem<?> system, String host, int port, AdminRoutes routes, List<Route> extra) {
    return bind(system, host, port, routes, extra, null);
  }

  /** Serves {@code routes} (plus {@code extra}) on {@code host:port}, over HTTPS when {@code tls} is not null. */
  public static AdminServer bind(ActorSystem<?> system, String host, int port, AdminRoutes routes, List<Route> extra,
      javax.net.ssl.SSLContext tls) {
    try {
      var server = Http.get(system).newServerAt(host, port);
      if (tls != null) {
        server = server.enableHttps(org.apache.pekko.http.javadsl.ConnectionContext.httpsServer(tls));
      }
      ServerBinding b = server.bind(routes.route(extra)).toCompletableFuture().get(30, TimeUnit.SECONDS);
      return new AdminServer(b, routes, host, tls != null);
    } catch (ExecutionException e) {
      throw new IllegalArgumentException("cannot bind the admin server to " + host + ":" + port + ": "
          + (e.getCause() == null ? e : e.getCause()).getMessage(), e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("binding the admin server to " + host + ":" + port + " timed out", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while binding the admin server", e);
    }
  }

  public AdminRoutes routes() {
    return routes;
  }

  /** The port the server listens on. */
  public int port() {
    InetSocketAddress a = binding.localAddress();
    return a.getPort();
  }

  /** {@code http://host:port}. */
  public String url() {
    return (https ? "https://" : "http://") + host + ":" + port();
  }

  /**
   * A server TLS context from a PKCS12 key store holding the server's key and certificate
   * (e.g. made with {@code keytool -genkeypair -storetype PKCS12}).
   */
  public static javax.net.ssl.SSLContext tls(java.nio.file.Path keyStore, char[] password) {
    try (var in = java.nio.file.Files.newInputStream(keyStore)) {
      java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
      ks.load(in, password);
      javax.net.ssl.KeyManagerFactory kmf =
          javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, password);
      javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), null, new java.security.SecureRandom());
      return ctx;
    } catch (java.io.IOException | java.security.GeneralSecurityException e) {
      throw new IllegalArgumentException("admin TLS: cannot load key store " + keyStore + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    try {
      binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // best effort
    }
  }

  /** How long a client may wait for a reply (for callers choosing timeouts). */
  public static Duration requestTimeout() {
    return Duration.ofSeconds(20);
  }
}
