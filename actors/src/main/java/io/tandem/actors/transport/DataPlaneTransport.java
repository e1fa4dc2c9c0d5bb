package io.tandem.actors.transport;

import io.tandem.actors.worker.StageWorker;
import io.tandem.actors.transport.TensorTransport;
import io.tandem.actors.transport.DataPlaneClient;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Tensors to a worker in this JVM go by reference; to a worker on another node they go over
 * that node's data plane endpoint (never over Artery).
 *
 * @param self this node's address
 * @param endpoints data plane {@code host:port} of every node of the job, by node address
 * @param key the job's data plane key: frames are signed and sealed with it (unless the client's
 *     {@code tandem.cluster.data-plane.authenticate} is off)
 */
public record DataPlaneTransport(Address self, Map<String, String> endpoints, DataPlaneClient client, byte[] key,
    LocalLanes lanes) implements TensorTransport {

  public DataPlaneTransport {
    endpoints = Map.copyOf(endpoints);
  }

  /** A transport whose workers of this JVM reach each other by their lanes ({@link LocalLanes}). */
  public DataPlaneTransport(Address self, Map<String, String> endpoints, DataPlaneClient client, byte[] key) {
    this(self, endpoints, client, key, new LocalLanes());
  }

  @Override
  public void openLane(ActorRef<StageWorker.Command> worker, java.util.function.Consumer<StageWorker.TensorArrived> lane) {
    lanes.open(worker, lane);
  }

  @Override
  public void closeLane(ActorRef<StageWorker.Command> worker) {
    lanes.close(worker);
  }

  @Override
  public CompletionStage<Void> send(ActorRef<StageWorker.Command> owner, StageWorker.TensorArrived tensor) {
    return send(owner, tensor, false);
  }

  @Override
  public CompletionStage<Void> sendPaced(ActorRef<StageWorker.Command> owner, StageWorker.TensorArrived tensor) {
    return send(owner, tensor, true);
  }

  private CompletionStage<Void> send(ActorRef<StageWorker.Command> owner, StageWorker.TensorArrived tensor,
      boolean paced) {
    Address address = owner.path().address();
    if (address.hasLocalScope() || address.equals(self)) {
      lanes.deliver(owner, tensor);
      return CompletableFuture.completedFuture(null);
    }
    String endpoint = endpoints.get(address.toString());
    if (endpoint == null) {
      return CompletableFuture.failedFuture(new IllegalStateException(
          "no data plane endpoint known for node " + address + " (known: " + endpoints.keySet() + ")"));
    }
    int colon = endpoint.lastIndexOf(':');
    String host = endpoint.substring(0, colon);
    int port = Integer.parseInt(endpoint.substring(colon + 1));
    return paced ? client.sendPaced(host, port, tensor.header(), tensor.tensor(), key)
        : client.send(host, port, tensor.header(), tensor.tensor(), key);
  }
}
