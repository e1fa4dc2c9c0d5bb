package io.tandem.actors.admin;

import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tandem.actors.cluster.ClusterNode;
import io.tandem.actors.cluster.NodeAgent;
import io.tandem.proto.DeviceDescription;
import io.tandem.proto.Registration;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The admin routes that act on the cluster (served authenticated next to {@link AdminRoutes}):
 * {@code GET /cluster} (members with roles, status and devices), {@code POST /jobs/{id}/cancel},
 * {@code POST /jobs/{id}/checkpoint} (waits for the checkpoint to commit),
 * {@code POST /nodes/{address}/drain} and {@code GET /metrics} (Prometheus text format).
 */
public final class ClusterAdminRoutes {
  private static final Duration ASK = Duration.ofSeconds(3);

  private final ClusterNode node;
  private final JobRegistry jobs;
  private final ActorSystem<?> system;

  public ClusterAdminRoutes(ClusterNode node, JobRegistry jobs) {
    this.node = node;
    this.jobs = jobs;
    this.system = node.system();
  }

  /** The routes, to pass as {@code extra} to {@link AdminRoutes#route}. */
  public List<Route> routes() {
    return List.of(
        path("cluster", () -> get(() -> completeWithFuture(cluster().thenApply(j -> response(StatusCodes.OK, j))))),
        pathPrefix("jobs", () -> concat(
            path(PathMatchers.segment().slash("cancel"), id -> post(() -> cancel(id))),
            path(PathMatchers.segment().slash("checkpoint"), id -> post(() -> checkpoint(id))))),
        pathPrefix("nodes", () -> path(PathMatchers.segment().slash("drain"), address -> post(() -> drain(address)))),
        path("metrics", () -> get(() -> completeWithFuture(cluster().thenApply(c -> HttpResponse.create()
            .withEntity(ContentTypes.TEXT_PLAIN_UTF8, PrometheusText.render(c, jobs.all())))))));
  }

  private Route cancel(String id) {
    Optional<JobRecord> r = jobs.get(id);
    if (r.isEmpty()) {
      return AdminRoutes.json(StatusCodes.NOT_FOUND, AdminRoutes.error("no job '" + id + "'"));
    }
    if (r.get().isFinal()) {
      return AdminRoutes.json(StatusCodes.CONFLICT, AdminRoutes.error("job '" + id + "' has ended ("
          + r.get().status() + ")"));
    }
    node.cancel(id, "cancelled through the admin API");
    return AdminRoutes.json(StatusCodes.ACCEPTED, JobSpecJson.mapper().createObjectNode().put("id", id)
        .put("status", "CANCELLING"));
  }

  private Route checkpoint(String id) {
    Optional<JobRecord> r = jobs.get(id);
    if (r.isEmpty()) {
      return AdminRoutes.json(StatusCodes.NOT_FOUND, AdminRoutes.error("no job '" + id + "'"));
    }
    CompletionStage<Long> committed = r.get().awaitCheckpoint();
    node.checkpoint(id);
    String dir = r.get().spec().getCheckpointDir();
    return completeWithFuture(committed.toCompletableFuture()
        .orTimeout(AdminServer.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .thenApply(step -> response(StatusCodes.OK, JobSpecJson.mapper().createObjectNode().put("id", id)
            .put("step", step).put("checkpoint", java.nio.file.Path.of(dir).resolve("step-" + step).toString())))
        .exceptionally(e -> response(StatusCodes.CONFLICT, AdminRoutes.error(cause(e).getMessage() == null
            ? "no checkpoint within " + AdminServer.requestTimeout().toSeconds() + " s" : cause(e).getMessage()))));
  }

  private Route drain(String address) {
    Optional<Member> member = members().stream().filter(m -> m.address().toString().equals(address)
        || m.address().hostPort().equals(address)).findFirst();
    if (member.isEmpty()) {
      return AdminRoutes.json(StatusCodes.NOT_FOUND, AdminRoutes.error("no cluster member '" + address
          + "'; see GET /cluster"));
    }
    if (member.get().address().equals(Cluster.get(system).selfMember().address())) {
      return AdminRoutes.json(StatusCodes.CONFLICT, AdminRoutes.error("refusing to drain the node serving the admin API"));
    }
    node.drain(member.get().address());
    return AdminRoutes.json(StatusCodes.ACCEPTED, JobSpecJson.mapper().createObjectNode()
        .put("node", member.get().address().toString()).put("status", "DRAINING"));
  }

  private List<Member> members() {
    List<Member> members = new ArrayList<>();
    Cluster.get(system).state().getMembers().forEach(members::add);
    return members;
  }

  /** {@code {members: [{address, roles, status, reachable, devices: [...]}]}}. */
  CompletionStage<ObjectNode> cluster() {
    return describe(system);
  }

  /**
   * The cluster as {@code system}'s member sees it, with each node agent's devices:
   * {@code {self, members: [{address, roles, status, reachable, devices: [...]}]}}.
   */
  public static CompletionStage<ObjectNode> describe(ActorSystem<?> system) {
    CompletionStage<Receptionist.Listing> listing = AskPattern.ask(system.receptionist(),
        (ActorRef<Receptionist.Listing> replyTo) -> Receptionist.find(NodeAgent.SERVICE_KEY, replyTo), ASK,
        system.scheduler());
    return listing.thenCompose(l -> {
      List<CompletableFuture<Optional<Registration>>> asks = new ArrayList<>();
      for (ActorRef<NodeAgent.Command> agent : l.getServiceInstances(NodeAgent.SERVICE_KEY)) {
        CompletionStage<NodeAgent.Reply> reply = AskPattern.ask(agent,
            (ActorRef<NodeAgent.Reply> replyTo) -> new NodeAgent.Describe(replyTo), ASK, system.scheduler());
        asks.add(reply.toCompletableFuture()
            .thenApply(r -> r instanceof NodeAgent.Described d ? Optional.of(d.registration()) : Optional.<Registration>empty())
            .exceptionally(e -> Optional.empty()));
      }
      return CompletableFuture.allOf(asks.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
        Map<String, Registration> byNode = new TreeMap<>();
        asks.forEach(a -> a.join().ifPresent(reg -> byNode.put(reg.getNode(), reg)));
        return render(system, byNode);
      });
    }).exceptionally(e -> render(system, Map.of()));
  }

  private static ObjectNode render(ActorSystem<?> system, Map<String, Registration> registrations) {
    var state = Cluster.get(system).state();
    java.util.Set<Member> unreachable = new java.util.HashSet<>();
    state.getUnreachable().forEach(unreachable::add);
    ObjectNode o = JobSpecJson.mapper().createObjectNode();
    o.put("self", Cluster.get(system).selfMember().address().toString());
    ArrayNode members = o.putArray("members");
    for (Member m : state.getMembers()) {
      ObjectNode j = members.addObject();
      j.put("address", m.address().toString());
      ArrayNode roles = j.putArray("roles");
      m.getRoles().stream().filter(r -> !r.startsWith("dc-")).sorted().forEach(roles::add);
      j.put("status", m.status().toString().toUpperCase(Locale.ROOT));
      j.put("reachable", !unreachable.contains(m));
      ArrayNode devices = j.putArray("devices");
      Registration reg = registrations.get(m.address().toString());
      if (reg != null) {
        j.put("dataPlane", reg.getDataPlaneHost() + ":" + reg.getDataPlanePort());
        for (DeviceDescription d : reg.getDevicesList()) {
          ObjectNode dev = devices.addObject().put("name", d.getName()).put("kind", d.getKind())
              .put("ordinal", d.getOrdinal()).put("memoryBytes", d.getMemoryBytes()).put("threads", d.getThreads());
          if (d.getKind().equals("cuda")) {
            dev.put("computeCapability", d.getComputeCapability()).put("driverVersion", d.getDriverVersion())
                .put("fake", d.getFake());
          }
        }
      }
    }
    return o;
  }

  private static Throwable cause(Throwable e) {
    return e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
  }

  static HttpResponse response(StatusCode status, JsonNode body) {
    return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, body.toString());
  }
}
