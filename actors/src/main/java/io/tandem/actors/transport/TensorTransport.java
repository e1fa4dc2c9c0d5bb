package io.tandem.actors.transport;

import io.tandem.actors.worker.StageWorker;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * How a stage worker hands a tensor to the worker owning the next (or previous) virtual stage.
 * In one JVM the tensor goes by reference; across JVMs it goes over the data plane. The
 * returned stage fails when the tensor could not be handed over (the step then fails).
 */
@FunctionalInterface
public interface TensorTransport {

  CompletionStage<Void> send(ActorRef<StageWorker.Command> owner, StageWorker.TensorArrived tensor);

  /** By reference: a plain {@code tell}. */
  static TensorTransport local() {
    return (owner, tensor) -> {
      owner.tell(tensor);
      return CompletableFuture.completedFuture(null);
    };
  }
}
