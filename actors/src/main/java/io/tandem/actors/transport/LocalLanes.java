package io.tandem.actors.transport;

import io.tandem.actors.worker.StageWorker;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Direct lanes to the stage workers of this JVM: a worker that opened one takes a tensor from
 * another worker of the JVM straight into its inbox, on the sender's thread, instead of through
 * its mailbox (one thread hand-off less per hop). Workers without a lane get a {@code tell}.
 * Thread-safe; one per transport.
 */
public final class LocalLanes {
  private final Map<ActorRef<StageWorker.Command>, Consumer<StageWorker.TensorArrived>> lanes =
      new ConcurrentHashMap<>();

  public void open(ActorRef<StageWorker.Command> worker, Consumer<StageWorker.TensorArrived> lane) {
    lanes.put(worker, lane);
  }

  public void close(ActorRef<StageWorker.Command> worker) {
    lanes.remove(worker);
  }

  /** Hands {@code tensor} to {@code owner}: by its lane when it has one, else by {@code tell}. */
  public void deliver(ActorRef<StageWorker.Command> owner, StageWorker.TensorArrived tensor) {
    Consumer<StageWorker.TensorArrived> lane = lanes.get(owner);
    if (lane != null) {
      lane.accept(tensor);
    } else {
      owner.tell(tensor);
    }
  }
}
