package io.tandem.actors.transport;

import io.tandem.actors.worker.StageWorker;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * How a stage worker hands a tensor to the worker owning the next (or previous) virtual stage.
 * In one JVM the tensor goes by reference; across JVMs it goes over the data plane. The
 * returned stage fails when the tensor could not be handed over (the step then fails).
 */
@FunctionalInterface
public interface TensorTransport {

  CompletionStage<Void> send(ActorRef<StageWorker.Command> owner, StageWorker.TensorArrived tensor);

  /**
   * {@link #send} for one piece of a large transfer split into many (the gradient all-reduce):
   * across JVMs it waits for room rather than failing when the peer's queue is full, and leaves
   * room for the step's pipeline tensors. By default the same as {@link #send}.
   */
  default CompletionStage<Void> sendPaced(ActorRef<StageWorker.Command> owner, StageWorker.TensorArrived tensor) {
    return send(owner, tensor);
  }

  /**
   * Lets tensors from workers of this JVM that send through this transport reach {@code worker}
   * by {@code lane} (on the sender's thread) rather than its mailbox. Transports without lanes
   * ignore it.
   */
  default void openLane(ActorRef<StageWorker.Command> worker, Consumer<StageWorker.TensorArrived> lane) {}

  default void closeLane(ActorRef<StageWorker.Command> worker) {}

  /**
   * By reference, for workers of one JVM: by a worker's lane when it opened one on this
   * transport, else a plain {@code tell}. Share one among the workers of a job.
   */
  static TensorTransport local() {
    LocalLanes lanes = new LocalLanes();
    return new TensorTransport() {
      @Override
      public CompletionStage<Void> send(ActorRef<StageWorker.Command> owner, StageWorker.TensorArrived tensor) {
        lanes.deliver(owner, tensor);
        return CompletableFuture.completedFuture(null);
      }

      @Override
      public void openLane(ActorRef<StageWorker.Command> worker, Consumer<StageWorker.TensorArrived> lane) {
        lanes.open(worker, lane);
      }

      @Override
      public void closeLane(ActorRef<StageWorker.Command> worker) {
        lanes.close(worker);
      }
    };
  }
}
