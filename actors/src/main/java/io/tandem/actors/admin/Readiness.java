package io.tandem.actors.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether the cluster can run a job: at least one worker member that is Up, reachable and
 * offers devices. Built from {@code GET /cluster}'s JSON; {@code /health/ready} answers with
 * {@link #toJson()} (200 when ready, 503 otherwise).
 *
 * @param members every member as the cluster sees it
 */
public record Readiness(List<MemberView> members) {
  /** One member: address, roles, status (UP, JOINING, ...), reachability and its device count. */
  public record MemberView(String address, List<String> roles, String status, boolean reachable, int devices) {
    public MemberView {
      roles = List.copyOf(roles);
    }

    /** Up, reachable, a worker, with devices: a job can be placed on it. */
    public boolean canRunJobs() {
      return status.equals("UP") && reachable && roles.contains("worker") && devices > 0;
    }
  }

  public Readiness {
    members = List.copyOf(members);
  }

  /** From {@code {members: [{address, roles, status, reachable, devices: [...]}]}}. */
  public static Readiness of(JsonNode cluster) {
    List<MemberView> out = new ArrayList<>();
    for (JsonNode m : cluster.path("members")) {
      List<String> roles = new ArrayList<>();
      m.path("roles").forEach(r -> roles.add(r.asText()));
      out.add(new MemberView(m.path("address").asText(), roles, m.path("status").asText(),
          m.path("reachable").asBoolean(true), m.path("devices").size()));
    }
    return new Readiness(out);
  }

  /** True when some member can run jobs. */
  public boolean ready() {
    return members.stream().anyMatch(MemberView::canRunJobs);
  }

  /** Devices on members that can run jobs. */
  public int devices() {
    return members.stream().filter(MemberView::canRunJobs).mapToInt(MemberView::devices).sum();
  }

  /** Why it is (not) ready, in one line. */
  public String reason() {
    long workers = members.stream().filter(MemberView::canRunJobs).count();
    if (workers > 0) {
      return workers + " worker node(s) up with " + devices() + " device(s)";
    }
    return members.stream().anyMatch(m -> m.roles().contains("worker"))
        ? "no worker node is up, reachable and offering devices yet"
        : "no worker node has joined yet (" + members.size() + " member(s))";
  }

  /**
   * {@code {status: "ready"|"not ready", ready, reason, devices, members: [{address, roles,
   * status, reachable, devices}]}}.
   */
  public ObjectNode toJson() {
    ObjectNode o = JobSpecJson.mapper().createObjectNode();
    o.put("status", ready() ? "ready" : "not ready");
    o.put("ready", ready());
    o.put("reason", reason());
    o.put("devices", devices());
    ArrayNode list = o.putArray("members");
    for (MemberView m : members) {
      ObjectNode j = list.addObject();
      j.put("address", m.address());
      ArrayNode roles = j.putArray("roles");
      m.roles().forEach(roles::add);
      j.put("status", m.status()).put("reachable", m.reachable()).put("devices", m.devices());
    }
    return o;
  }
}
