package io.tandem.actors.cluster;

import io.tandem.actors.admin.ClusterAdminRoutes;
import io.tandem.actors.admin.Readiness;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;

/**
 * Readiness check for Pekko Management ({@code /health/ready}): ready while this member is Up
 * (or WeaklyUp) and the cluster can run a job, that is at least one worker node with devices
 * is up and reachable ({@link Readiness}).
 */
public final class MemberUpCheck implements Supplier<CompletionStage<Boolean>> {
  private final ActorSystem system;
  private final Cluster cluster;

  public MemberUpCheck(ActorSystem system) {
    this.system = system;
    this.cluster = Cluster.get(system);
  }

  @Override
  public CompletionStage<Boolean> get() {
    MemberStatus status = cluster.selfMember().status();
    if (status != MemberStatus.up() && status != MemberStatus.weaklyUp()) {
      return CompletableFuture.completedFuture(false);
    }
    if (!anyWorkerUp()) {
      return CompletableFuture.completedFuture(false); // no need to ask node agents for devices
    }
    return ClusterAdminRoutes.describe(Adapter.toTyped(system)).thenApply(c -> Readiness.of(c).ready());
  }

  private boolean anyWorkerUp() {
    var state = cluster.state();
    for (Member m : state.getMembers()) {
      if (m.status() == MemberStatus.up() && m.hasRole("worker") && !state.getUnreachable().contains(m)) {
        return true;
      }
    }
    return false;
  }
}
