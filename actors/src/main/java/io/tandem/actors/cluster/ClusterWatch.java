package io.tandem.actors.cluster;

import java.util.Set;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.cluster.typed.Unsubscribe;

/**
 * What an actor that places jobs watches, as its own messages: the node agents the receptionist
 * lists, and cluster member and reachability events. {@link #stop} ends the cluster
 * subscriptions (call it in {@code PostStop}; the receptionist drops a stopped subscriber itself).
 */
final class ClusterWatch {
  private final Cluster cluster;
  private final ActorRef<ClusterEvent.MemberEvent> members;
  private final ActorRef<ClusterEvent.ReachabilityEvent> reachability;

  private <T> ClusterWatch(ActorContext<T> ctx, Function<Set<ActorRef<NodeAgent.Command>>, T> agentsChanged,
      Function<ClusterEvent.MemberEvent, T> memberChanged,
      Function<ClusterEvent.ReachabilityEvent, T> reachabilityChanged) {
    ActorRef<Receptionist.Listing> listing = ctx.messageAdapter(Receptionist.Listing.class,
        l -> agentsChanged.apply(l.getServiceInstances(NodeAgent.SERVICE_KEY)));
    ctx.getSystem().receptionist().tell(Receptionist.subscribe(NodeAgent.SERVICE_KEY, listing));
    this.members = ctx.messageAdapter(ClusterEvent.MemberEvent.class, memberChanged::apply);
    this.reachability = ctx.messageAdapter(ClusterEvent.ReachabilityEvent.class, reachabilityChanged::apply);
    this.cluster = Cluster.get(ctx.getSystem());
    cluster.subscriptions().tell(Subscribe.create(members, ClusterEvent.MemberEvent.class));
    cluster.subscriptions().tell(Subscribe.create(reachability, ClusterEvent.ReachabilityEvent.class));
  }

  /** Subscribes {@code ctx}'s actor; each event arrives as the message its function makes. */
  static <T> ClusterWatch start(ActorContext<T> ctx, Function<Set<ActorRef<NodeAgent.Command>>, T> agentsChanged,
      Function<ClusterEvent.MemberEvent, T> memberChanged,
      Function<ClusterEvent.ReachabilityEvent, T> reachabilityChanged) {
    return new ClusterWatch(ctx, agentsChanged, memberChanged, reachabilityChanged);
  }

  void stop() {
    cluster.subscriptions().tell(new Unsubscribe<>(members));
    cluster.subscriptions().tell(new Unsubscribe<>(reachability));
  }
}
