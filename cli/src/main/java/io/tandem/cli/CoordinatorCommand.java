package io.tandem.cli;

import io.tandem.actors.admin.AdminServer;
import io.tandem.actors.cluster.ClusterNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tandem coordinator}: starts a cluster member with the {@code coordinator} role, which
 * hosts the job master singleton, and optionally the admin HTTP server. Runs until stopped (Ctrl-C).
 */
@Command(name = "coordinator", mixinStandardHelpOptions = true,
    description = "Start a cluster member that coordinates jobs (the job master singleton runs here).")
public final class CoordinatorCommand implements Callable<Integer> {

  @Option(names = "--port", defaultValue = "2551", description = "Artery TCP port (default: ${DEFAULT-VALUE})")
  int port;

  @Option(names = "--bind", defaultValue = "127.0.0.1", description = "host to bind and advertise (default: ${DEFAULT-VALUE})")
  String bind;

  @Option(names = "--seeds", description = "host:port[,..] of members to join; none: start a new cluster")
  String seeds;

  @Option(names = "--admin-tls-keystore", description = "serve the admin API over HTTPS with this PKCS12 key store")
  Path adminTlsKeystore;

  @Option(names = "--admin-tls-password-file", description = "password of --admin-tls-keystore (default: "
      + "$TANDEM_ADMIN_TLS_PASSWORD)")
  Path adminTlsPasswordFile;

  @Option(names = "--bootstrap", description = "form or join the cluster with Pekko Cluster Bootstrap (service "
      + "discovery, e.g. Kubernetes) instead of --seeds")
  boolean bootstrap;

  @Option(names = "--admin-port", description = "serve the admin HTTP API on this port (0 = any free port); off when not given")
  Integer adminPort;

  @Option(names = "--admin-token-file", description = "bearer token of the admin API: read from this file, or generated"
      + " into it when missing (default: $TANDEM_ADMIN_TOKEN)")
  Path adminTokenFile;

  @Option(names = "--admin-url-file", description = "write the admin API's URL to this file once it listens")
  Path adminUrlFile;

  @Option(names = "--expected-workers", paramLabel = "N", description = "worker nodes this cluster is meant to have:"
      + " a job needing more is refused at submit, one needing more than are up but at most N waits for them"
      + " (default: tandem.cluster.expected-workers, 0 = not declared: such a job waits, nothing is refused)")
  Integer expectedWorkers;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    if (expectedWorkers != null && expectedWorkers < 0) {
      throw new UserException("--expected-workers must be >= 0 (0 = not declared), got " + expectedWorkers);
    }
    String token = adminPort == null ? null : token();
    com.typesafe.config.Config overrides = ClusterOptions.bootstrap(bootstrap);
    if (expectedWorkers != null) {
      overrides = overrides.withValue("tandem.cluster.expected-workers",
          com.typesafe.config.ConfigValueFactory.fromAnyRef(expectedWorkers));
    }
    ClusterNode node = ClusterNode.start(bind, port, ClusterOptions.seeds(seeds), List.of("coordinator"), 0,
        overrides);
    AdminServer admin = null;
    if (adminPort != null) {
      try {
        admin = AdminServer.start(node, bind, adminPort, token, List.of(), adminTls());
      } catch (RuntimeException e) {
        node.close();
        throw e;
      }
    }
    AdminServer server = admin;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (server != null) {
        server.close();
      }
      node.close();
    }, "coordinator-shutdown"));
    if (server != null && adminUrlFile != null) {
      write(adminUrlFile, server.url() + "\n");
    }
    spec.commandLine().getErr().printf("tandem: coordinator up at %s; start workers with: tandem worker --seeds %s:%d%n",
        node.address(), bind, node.port());
    if (server != null) {
      spec.commandLine().getErr().printf("tandem: admin API at %s%n", server.url());
    }
    spec.commandLine().getErr().flush();
    node.awaitTermination();
    return 0;
  }

  private String token() {
    if (adminTokenFile == null) {
      String env = System.getenv("TANDEM_ADMIN_TOKEN");
      if (env == null || env.isBlank()) {
        throw new IllegalArgumentException("--admin-port needs a token: --admin-token-file FILE or $TANDEM_ADMIN_TOKEN");
      }
      return env.trim();
    }
    try {
      if (Files.exists(adminTokenFile)) {
        String t = Files.readString(adminTokenFile).trim();
        if (t.isEmpty()) {
          throw new IllegalArgumentException("--admin-token-file " + adminTokenFile + " is empty");
        }
        return t;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read --admin-token-file " + adminTokenFile + ": " + e.getMessage(), e);
    }
    byte[] random = new byte[24];
    new SecureRandom().nextBytes(random);
    String t = HexFormat.of().formatHex(random);
    write(adminTokenFile, t + "\n");
    return t;
  }

  private static void write(Path file, String text) {
    try {
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, text);
      try {
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system
      }
      Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  private javax.net.ssl.SSLContext adminTls() {
    if (adminTlsKeystore == null) {
      return null;
    }
    String password;
    if (adminTlsPasswordFile != null) {
      try {
        password = java.nio.file.Files.readString(adminTlsPasswordFile).trim();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("cannot read --admin-tls-password-file " + adminTlsPasswordFile, e);
      }
    } else {
      password = System.getenv("TANDEM_ADMIN_TLS_PASSWORD");
      if (password == null) {
        throw new IllegalArgumentException("--admin-tls-keystore needs --admin-tls-password-file or $TANDEM_ADMIN_TLS_PASSWORD");
      }
    }
    return AdminServer.tls(adminTlsKeystore, password.toCharArray());
  }
}
