package io.tandem.cli;

import java.util.Arrays;
import java.util.List;

/** Parsing shared by the cluster commands. */
final class ClusterOptions {
  private ClusterOptions() {}

  /** {@code host:port[,host:port...]} as a list; empty for null or blank. */
  static List<String> seeds(String seeds) {
    if (seeds == null || seeds.isBlank()) {
      return List.of();
    }
    List<String> list = Arrays.stream(seeds.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    for (String s : list) {
      if (!s.matches("[^:]+:\\d{1,5}")) {
        throw new IllegalArgumentException("--seeds takes host:port[,host:port...], got '" + s + "'");
      }
    }
    return list;
  }

  /** Config overrides for {@code --bootstrap}: Cluster Bootstrap on (empty config otherwise). */
  static com.typesafe.config.Config bootstrap(boolean on) {
    return on ? com.typesafe.config.ConfigFactory.parseString("tandem.management.bootstrap = on")
        : com.typesafe.config.ConfigFactory.empty();
  }
}
