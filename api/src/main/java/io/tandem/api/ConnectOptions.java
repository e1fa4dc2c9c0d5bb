package io.tandem.api;

import java.util.List;

/**
 * Options to join a running cluster as a client member ({@link Tandem#connect}).
 *
 * @param seeds {@code host:port} of members to join through (e.g. the coordinator)
 * @param bindHost address this client binds; the cluster must be able to reach it
 * @param minWorkerNodes worker nodes a submitted job waits for before it starts
 */
public record ConnectOptions(List<String> seeds, String bindHost, int minWorkerNodes) {

  public ConnectOptions {
    seeds = List.copyOf(seeds);
    if (seeds.isEmpty()) {
      throw new IllegalArgumentException("seeds: give at least one host:port of a cluster member");
    }
    for (String s : seeds) {
      if (!s.matches("[^:]+:\\d{1,5}")) {
        throw new IllegalArgumentException("seeds: expected host:port, got '" + s + "'");
      }
    }
    if (bindHost == null || bindHost.isBlank()) {
      throw new IllegalArgumentException("bindHost must not be blank");
    }
    if (minWorkerNodes < 1) {
      throw new IllegalArgumentException("minWorkerNodes must be >= 1, got " + minWorkerNodes);
    }
  }

  /** Joins through {@code seed} ({@code host:port}), binds 127.0.0.1, waits for one worker node. */
  public static ConnectOptions of(String seed) {
    return new ConnectOptions(List.of(seed), "127.0.0.1", 1);
  }

  /** The same options waiting for {@code n} worker nodes. */
  public ConnectOptions withMinWorkerNodes(int n) {
    return new ConnectOptions(seeds, bindHost, n);
  }

  /** The same options binding {@code host}. */
  public ConnectOptions withBindHost(String host) {
    return new ConnectOptions(seeds, host, minWorkerNodes);
  }
}
