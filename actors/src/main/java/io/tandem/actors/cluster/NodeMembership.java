package io.tandem.actors.cluster;

import io.tandem.proto.Registration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Membership and placement of one job: which worker nodes the cluster offers (Up and reachable,
 * as the job's own subscriptions have seen them), which the job chose, which schedule devices
 * each runs ({@link DevicePlacement}), and which are suspect (unreachable), lost, leaving,
 * drained or joining (taken in at the next checkpoint or re-plan). Plain state, no actors:
 * {@code A} is how a node's agent is addressed ({@code ActorRef<NodeAgent.Command>} in
 * {@link JobRun}). Not thread-safe: one actor owns it.
 */
final class NodeMembership<A> {
  private final Set<String> upNodes = new HashSet<>();
  private final Set<String> unreachableNodes = new HashSet<>();
  /** Every node agent the receptionist lists, by node address. */
  private Map<String, A> listed = Map.of();
  /** Node address to its agent, for the nodes the job was started on (and joiners taken in). */
  private final Map<String, A> chosen = new TreeMap<>();
  private final Map<String, Registration> registrations = new TreeMap<>();
  /** Devices of the current attempt by node address. */
  private Map<String, List<Integer>> assignment = new TreeMap<>();
  private final Set<String> lost = new LinkedHashSet<>();
  private final Set<String> suspects = new LinkedHashSet<>();
  /** Nodes whose process a probe found gone. */
  private final Set<String> gone = new HashSet<>();
  /** Nodes that joined after the job started, by address: taken in at the next checkpoint or re-plan. */
  private final Map<String, A> joiners = new TreeMap<>();
  /** Nodes leaving gracefully: the job checkpoints, then re-plans without them. */
  private final Set<String> leaving = new LinkedHashSet<>();
  /** Nodes drained through the admin API: asked to leave the cluster once the job is off them. */
  private final Set<String> drained = new LinkedHashSet<>();
  /** Nodes the job moved off because they left gracefully or were drained: never joiners again. */
  private final Set<String> departed = new LinkedHashSet<>();

  /** A member's status changed: {@code up} for Up or WeaklyUp, false once it is anything but Joining. */
  void memberStatus(String node, boolean up) {
    if (up) {
      upNodes.add(node);
    } else {
      upNodes.remove(node);
    }
  }

  /** The failure detector's view of {@code node} changed. */
  void reachability(String node, boolean reachable) {
    if (reachable) {
      unreachableNodes.remove(node);
    } else {
      unreachableNodes.add(node);
    }
  }

  /** Whether {@code node} is an Up member the failure detector finds reachable. */
  boolean healthy(String node) {
    return upNodes.contains(node) && !unreachableNodes.contains(node);
  }

  /** The receptionist's latest listing of node agents, by node address. */
  void listed(Map<String, A> agentsByNode) {
    listed = Map.copyOf(agentsByNode);
  }

  Map<String, A> listed() {
    return listed;
  }

  /** The listed agents on healthy nodes, sorted by address. */
  Map<String, A> healthyListed() {
    Map<String, A> sorted = new TreeMap<>();
    listed.forEach((node, a) -> {
      if (healthy(node)) {
        sorted.put(node, a);
      }
    });
    return sorted;
  }

  /**
   * Chooses the job's nodes when at least {@code minNodes} healthy ones are listed: the first
   * {@code maxNodes} by address. Returns whether it chose.
   */
  boolean choose(int minNodes, long maxNodes) {
    Map<String, A> healthy = healthyListed();
    if (healthy.size() < minNodes) {
      return false;
    }
    healthy.entrySet().stream().limit(maxNodes).forEach(e -> chosen.put(e.getKey(), e.getValue()));
    return true;
  }

  /** The chosen nodes' agents, by address (sorted). */
  Map<String, A> chosen() {
    return chosen;
  }

  /** A chosen node failed before the job started: forget the choice (the nodes are chosen again). */
  void forgetChoice() {
    chosen.clear();
    registrations.clear();
    suspects.clear();
    lost.clear();
  }

  /** A chosen node described itself; returns whether every chosen node has. */
  boolean described(Registration r) {
    registrations.put(r.getNode(), r);
    return registrations.size() == chosen.size();
  }

  Map<String, Registration> registrations() {
    return registrations;
  }

  /**
   * Listed agents the job neither runs on nor knows as joiners yet: recorded as joiners (to be
   * asked for their devices). Returns them by address.
   */
  Map<String, A> newJoiners() {
    Map<String, A> fresh = new LinkedHashMap<>();
    listed.forEach((node, a) -> {
      boolean known = chosen.containsKey(node) && !lost.contains(node);
      if (!known && !joiners.containsKey(node) && !departed.contains(node)) {
        joiners.put(node, a);
        registrations.remove(node);
        fresh.put(node, a);
      }
    });
    return fresh;
  }

  boolean isJoiner(String node) {
    return joiners.containsKey(node);
  }

  /** A joiner left before it was taken in. */
  void joinerGone(String node) {
    if (joiners.remove(node) != null) {
      registrations.remove(node);
    }
  }

  /** Joined nodes that have described themselves, by address. */
  List<String> readyJoiners() {
    return joiners.keySet().stream().filter(registrations::containsKey).toList();
  }

  /** Devices of {@code backend} a described joiner offers ({@link DevicePlacement#capacity}). */
  int devicesOf(String node, String backend) {
    return DevicePlacement.capacity(backend, registrations.get(node));
  }

  /** A ready joiner becomes one of the job's nodes. */
  void takeIn(String node) {
    A agent = joiners.remove(node);
    if (agent == null) {
      throw new IllegalStateException("node " + node + " is not a joiner");
    }
    chosen.put(node, agent);
    lost.remove(node);
  }

  /** Whether {@code node} runs a device of the job (while {@code describing}: whether it was chosen). */
  boolean inJob(String node, boolean describing) {
    return (describing ? chosen.containsKey(node) : assignment.containsKey(node)) && !lost.contains(node);
  }

  /** The current attempt's devices by node address. */
  Map<String, List<Integer>> assignment() {
    return assignment;
  }

  void assign(Map<String, List<Integer>> devicesByNode) {
    assignment = new TreeMap<>(devicesByNode);
  }

  /** Data plane {@code host:port} of every assigned node, by address. */
  Map<String, String> endpoints() {
    Map<String, String> endpoints = new TreeMap<>();
    for (String node : assignment.keySet()) {
      Registration reg = registrations.get(node);
      endpoints.put(node, reg.getDataPlaneHost() + ":" + reg.getDataPlanePort());
    }
    return endpoints;
  }

  /** Assigned nodes not lost, in address order, with the devices they ran. */
  Map<String, List<Integer>> survivors() {
    Map<String, List<Integer>> out = new TreeMap<>();
    assignment.forEach((node, devices) -> {
      if (!lost.contains(node)) {
        out.put(node, devices);
      }
    });
    return out;
  }

  void lost(String node) {
    lost.add(node);
  }

  void lostAll(List<String> nodes) {
    lost.addAll(nodes);
  }

  boolean isLost(String node) {
    return lost.contains(node);
  }

  Set<String> lostNodes() {
    return lost;
  }

  /** Marks {@code node} unreachable; false when it already was a suspect. */
  boolean suspect(String node) {
    return suspects.add(node);
  }

  /** {@code node}'s process was confirmed gone ({@link CrashProbe}) and downed by the job. */
  void confirmedGone(String node) {
    gone.add(node);
  }

  /** Whether {@link #confirmedGone} was said of {@code node}. */
  boolean wasConfirmedGone(String node) {
    return gone.contains(node);
  }

  /** Whether {@code node} is unreachable now. */
  boolean isSuspect(String node) {
    return suspects.contains(node);
  }

  /** {@code node} is reachable again (or gone); false when it was no suspect. */
  boolean clearSuspect(String node) {
    return suspects.remove(node);
  }

  boolean noSuspects() {
    return suspects.isEmpty();
  }

  /** Marks {@code node} as leaving; false when it already was. */
  boolean leaving(String node) {
    return leaving.add(node);
  }

  boolean anyLeaving() {
    return !leaving.isEmpty();
  }

  /** The leaving nodes, now lost to the job; returns those that were drained (to be asked to leave). */
  List<String> leftGracefully(List<String> gone) {
    lost.addAll(gone);
    leaving.removeAll(gone);
    departed.addAll(gone);
    List<String> drainedNow = new ArrayList<>();
    for (String node : gone) {
      if (drained.remove(node)) {
        drainedNow.add(node);
      }
    }
    return drainedNow;
  }

  List<String> leavingNodes() {
    return List.copyOf(leaving);
  }

  void drained(String node) {
    drained.add(node);
  }

  /** The chosen nodes not lost: those whose agents may still hold the job's workers. */
  Map<String, A> reachableChosen() {
    Map<String, A> out = new TreeMap<>();
    chosen.forEach((node, a) -> {
      if (!lost.contains(node)) {
        out.put(node, a);
      }
    });
    return out;
  }
}
