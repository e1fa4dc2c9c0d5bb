package io.tandem.actors.worker;

import io.tandem.actors.transport.HostTensor;
import io.tandem.actors.transport.TensorTransport;
import io.tandem.model.optim.GradientReduction;
import io.tandem.proto.TensorFrameHeader;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * PipeDream-2BW with data parallelism: at each of a device's weight updates inside a step, the
 * device sends its update group's gradients to the same device of every other replica, waits for
 * theirs, and sums them itself in replica order ({@link GradientReduction}: {@code (g0 + g1) + ...}).
 * Every replica computes the same sum, so all apply the same update and stay identical. One
 * round, {@code (D - 1) x size} sent per device (for D = 2 the all-reduce optimum).
 *
 * <p>{@link #reduce} blocks the device's compute thread, which runs the step's ops in order; it
 * cannot deadlock: every replica runs the same program, so the same device of each replica
 * reaches the same update after the same ops, none of which needs another replica. The frames
 * come in through the worker's mailbox ({@link #arrived}, any thread).
 */
final class ReplicaExchange {
  private final String jobId;
  private final int replica;
  private final List<ActorRef<StageWorker.Command>> sameDevice;
  private final int targetStage;
  private final TensorTransport transport;
  private final Duration timeout;
  /** Gradients by (update, sending replica), completed as frames arrive. */
  private final Map<Long, CompletableFuture<float[]>> received = new ConcurrentHashMap<>();
  private volatile long step;
  private volatile String cancelled;

  /**
   * @param sameDevice the worker of this device in every replica (index = replica)
   * @param targetStage a virtual stage every replica's worker of this device holds (frames name it)
   * @param timeout how long an update waits for the other replicas before the step fails
   */
  ReplicaExchange(String jobId, int replica, List<ActorRef<StageWorker.Command>> sameDevice, int targetStage,
      TensorTransport transport, Duration timeout) {
    if (replica < 0 || replica >= sameDevice.size()) {
      throw new IllegalArgumentException("replica " + replica + " of " + sameDevice.size());
    }
    this.jobId = jobId;
    this.replica = replica;
    this.sameDevice = List.copyOf(sameDevice);
    this.targetStage = targetStage;
    this.transport = transport;
    this.timeout = timeout;
  }

  /** The step now running (its frames carry it); a cancelled exchange works again. */
  void begin(long s) {
    step = s;
    cancelled = null;
    received.values().removeIf(CompletableFuture::isCompletedExceptionally);
  }

  /** Another replica's update-group gradients arrived (any thread). */
  void arrived(TensorFrameHeader h, HostTensor tensor) {
    int from = h.getFromReplica();
    if (from < 0 || from >= sameDevice.size() || from == replica) {
      throw new IllegalArgumentException("replica " + replica + " does not expect update gradients from replica " + from);
    }
    slot(h.getExchangeUpdate() - 1, from).complete(tensor.data());
  }

  /** Fails every wait, now and until the next {@link #begin} (the step stopped). */
  void cancel(String why) {
    cancelled = why;
    received.values().forEach(f -> f.completeExceptionally(new IllegalStateException(why)));
  }

  /**
   * The sum over replicas, in replica order, of update {@code update}'s gradients, this
   * replica's being {@code mine}; blocks until the other replicas' arrive.
   *
   * @throws IllegalStateException naming the replica that did not send in time
   */
  float[] reduce(long update, float[] mine) {
    for (int r = 0; r < sameDevice.size(); r++) {
      if (r != replica) {
        send(r, update, mine);
      }
    }
    float[] sum = null;
    for (int r = 0; r < sameDevice.size(); r++) {
      float[] g = r == replica ? mine : await(update, r);
      if (sum == null) {
        sum = g.clone();
      } else {
        GradientReduction.add(sum, g);
      }
    }
    for (int r = 0; r < sameDevice.size(); r++) {
      received.remove(key(update, r));
    }
    return sum;
  }

  private float[] await(long update, int from) {
    if (cancelled != null) {
      throw new IllegalStateException(cancelled);
    }
    try {
      return slot(update, from).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException("2bw weight update " + update + ": replica " + from
          + " sent no gradients within " + timeout.toSeconds() + " s");
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for replica " + from + "'s gradients");
    }
  }

  private CompletableFuture<float[]> slot(long update, int from) {
    return received.computeIfAbsent(key(update, from), k -> new CompletableFuture<>());
  }

  private long key(long update, int from) {
    return update * sameDevice.size() + from;
  }

  private void send(int to, long update, float[] gradients) {
    transport.send(sameDevice.get(to), GradientAllReduce.frame(jobId, step, targetStage, to, replica, gradients,
        h -> h.setExchangeUpdate(update + 1)));
  }
}
