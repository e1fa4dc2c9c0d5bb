package io.tandem.cli;

import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** How a command reaches a cluster's admin API: {@code --url} and the bearer token (a picocli mixin). */
final class AdminConnection {
  @Option(names = "--url", required = true, description = "admin API URL of the coordinator, e.g. http://127.0.0.1:8080")
  String url;

  @Option(names = "--token", description = "bearer token (default: --token-file, then $TANDEM_ADMIN_TOKEN)")
  String token;

  @Option(names = "--token-file", description = "file holding the bearer token (e.g. DIR/admin.token)")
  Path tokenFile;

  /** A client of the admin API whose calls time out after {@code timeout}. */
  AdminClient client(Duration timeout) {
    return new AdminClient(url, AdminClient.token(token, tokenFile), timeout);
  }
}
