package io.tandem.actors.cluster;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.MemberStatus;

/**
 * Readiness check for Pekko Management ({@code /health/ready}): ready while this member is
 * Up (or WeaklyUp) in the cluster.
 */
public final class MemberUpCheck implements Supplier<CompletionStage<Boolean>> {
  private final Cluster cluster;

  public MemberUpCheck(ActorSystem system) {
    this.cluster = Cluster.get(system);
  }

  @Override
  public CompletionStage<Boolean> get() {
    MemberStatus status = cluster.selfMember().status();
    return CompletableFuture.completedFuture(status == MemberStatus.up() || status == MemberStatus.weaklyUp());
  }
}
