package io.tandem.actors.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * Whether a queued job starts now, waits, or is refused (a pure function of the cluster's worker
 * nodes). Capacity is counted in worker nodes for {@code cpu} and {@code sim} jobs (a job needs
 * {@code minNodes} of them, one per device by default, and uses at most one per device) and in
 * cuda devices for {@code cuda} jobs (and at least {@code minNodes} nodes).
 *
 * <ul>
 *   <li>Refused: the cluster's declared capacity ({@code tandem.cluster.expected-workers}, or the
 *       nodes up when more are up) can never hold the job. Without a declaration nothing is
 *       refused: the coordinator cannot tell a cluster still forming from a small one, so the job
 *       waits (at most {@code node-wait-timeout} for nodes that are not up).
 *   <li>Start: enough free nodes (up, healthy, not used by another job): the job gets the first
 *       ones by address.
 *   <li>Wait: otherwise, with a reason such as {@code waiting for 4 devices, have 2 free}.
 * </ul>
 */
final class JobAdmission {
  private JobAdmission() {}

  /** What a job asks for: {@code minNodes} is already defaulted (one per device). */
  record Demand(String jobId, String backend, int devices, int minNodes) {}

  /** The decision for one job. */
  sealed interface Decision {}

  /** Start on {@code nodes} (addresses, sorted). */
  record Start(List<String> nodes) implements Decision {}

  /**
   * Wait, saying {@code reason}; {@code forNodes}: the nodes up (busy or not) cannot hold the job,
   * so it waits for nodes to join (bounded by {@code node-wait-timeout}), not for other jobs to end.
   */
  record Wait(String reason, boolean forNodes) implements Decision {}

  /** Never fits the cluster: refuse with {@code reason}. */
  record Refuse(String reason) implements Decision {}

  /**
   * @param up the healthy worker nodes with each one's devices of the job's backend
   *     ({@link DevicePlacement#capacity}; any value for cpu and sim jobs)
   * @param free the nodes of {@code up} no other job uses
   * @param declared the declared number of worker nodes (0 = not declared)
   */
  static Decision decide(Demand d, Map<String, Integer> up, Set<String> free, int declared) {
    Map<String, Integer> sortedUp = new TreeMap<>(up);
    List<String> freeNodes = sortedUp.keySet().stream().filter(free::contains).toList();
    int needNodes = Math.max(1, d.minNodes());
    int bound = Math.max(sortedUp.size(), declared);
    String declaredText = declared > 0 ? ", " + declared + " declared" : "";
    if (!d.backend().toLowerCase(Locale.ROOT).equals("cuda")) {
      if (declared > 0 && needNodes > bound) {
        return new Refuse("job " + d.jobId() + " needs " + needNodes + " worker node" + plural(needNodes)
            + (needNodes == d.devices() ? " (one per device)" : " (minNodes)") + " and the cluster has "
            + sortedUp.size() + " up" + declaredText + " (tandem.cluster.expected-workers): it can never start;"
            + " submit fewer devices, or fewer --min-nodes to share nodes");
      }
      if (freeNodes.size() >= needNodes) {
        return new Start(freeNodes.subList(0, Math.min(freeNodes.size(), Math.max(needNodes, d.devices()))));
      }
      String what = needNodes == d.devices() ? needNodes + " device" + plural(needNodes)
          : needNodes + " worker node" + plural(needNodes) + " (for " + d.devices() + " devices)";
      return new Wait("waiting for " + what + ", have " + freeNodes.size() + " (worker nodes free; "
          + sortedUp.size() + " up" + declaredText + ")", needNodes > sortedUp.size());
    }
    int cudaUp = sortedUp.values().stream().mapToInt(Integer::intValue).sum();
    boolean allDeclaredUp = declared > 0 && sortedUp.size() >= declared;
    if (declared > 0 && (needNodes > bound || (allDeclaredUp && cudaUp < d.devices()))) {
      StringJoiner each = new StringJoiner(", ", " (", ")");
      sortedUp.forEach((node, n) -> each.add("node " + node + ": " + n + " cuda"));
      return new Refuse("job needs " + d.devices() + " cuda device" + plural(d.devices())
          + (needNodes > 1 ? " on at least " + needNodes + " nodes" : "") + "; the cluster has " + cudaUp
          + (sortedUp.isEmpty() ? "" : each.toString()) + ", " + sortedUp.size() + " node" + plural(sortedUp.size())
          + " up" + declaredText + " (tandem.cluster.expected-workers): job " + d.jobId() + " can never start");
    }
    List<String> chosen = new ArrayList<>();
    int have = 0;
    for (String node : freeNodes) {
      int here = sortedUp.get(node);
      if (here == 0 && chosen.size() >= needNodes) {
        continue;
      }
      chosen.add(node);
      have += here;
      if (have >= d.devices() && chosen.size() >= needNodes) {
        return new Start(List.copyOf(chosen));
      }
    }
    int freeCuda = freeNodes.stream().mapToInt(sortedUp::get).sum();
    return new Wait("waiting for " + d.devices() + " cuda device" + plural(d.devices()) + ", have " + freeCuda
        + " free (" + cudaUp + " on " + sortedUp.size() + " node" + plural(sortedUp.size()) + " up" + declaredText
        + ")", cudaUp < d.devices() || needNodes > sortedUp.size());
  }

  private static String plural(int n) {
    return n == 1 ? "" : "s";
  }
}
