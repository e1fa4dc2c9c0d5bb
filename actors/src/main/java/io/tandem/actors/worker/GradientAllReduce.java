package io.tandem.actors.worker;

import io.tandem.actors.transport.HostTensor;
import io.tandem.actors.transport.TensorTransport;
import io.tandem.model.optim.GradientReduction;
import io.tandem.proto.TensorFrameHeader;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * One device's part in the data-parallel gradient all-reduce between the replicas of its
 * pipeline stage, once per step after the device's program (its last W): every replica sends its
 * gradients to replica 0 over the tensor transport (the data plane across JVMs); replica 0 adds
 * them in replica order ({@link GradientReduction}: {@code ((g0 + g1) + g2) + ...}, the order the
 * reference trainer's {@code dataParallel} grouping defines), loads the sum and sends it back to
 * every replica, which loads it too. So all replicas hold the same reduced gradient bit for bit,
 * and the identical optimizer update keeps them identical.
 *
 * <p>Owned by a {@link StageWorker} and called only on its thread; the downloads, the sum and the
 * uploads run on the device's executor ({@link #next} returns them as futures) and their results
 * come back through {@link #completed}.
 */
final class GradientAllReduce {
  /** A finished piece of work: what it was, and the gradients it produced (if any). */
  record Outcome(Kind kind, float[] data) {}

  enum Kind { DOWNLOADED, SENT, COMBINED, REDUCED }

  private enum Phase { PROGRAM, DOWNLOAD, SEND, WAIT_SUM, GATHER, BROADCAST, DONE }

  private final String jobId;
  private final int replica;
  private final List<ActorRef<StageWorker.Command>> sameDevice;
  private final int targetStage;
  private final StageCompute compute;
  private final Executor executor;
  private final TensorTransport transport;
  /** Gradients received, by step and sending replica. */
  private final Map<Long, Map<Integer, float[]>> received = new HashMap<>();

  private long step = -1;
  private Phase phase = Phase.DONE;
  private boolean busy;
  private float[] own;

  /**
   * @param sameDevice the worker of this device in every replica (index = replica)
   * @param targetStage a virtual stage every replica's worker of this device holds (frames name it)
   */
  GradientAllReduce(String jobId, int replica, List<ActorRef<StageWorker.Command>> sameDevice, int targetStage,
      StageCompute compute, Executor executor, TensorTransport transport) {
    if (replica < 0 || replica >= sameDevice.size()) {
      throw new IllegalArgumentException("replica " + replica + " of " + sameDevice.size());
    }
    this.jobId = jobId;
    this.replica = replica;
    this.sameDevice = List.copyOf(sameDevice);
    this.targetStage = targetStage;
    this.compute = compute;
    this.executor = executor;
    this.transport = transport;
  }

  /** A new step starts: forget older steps' gradients. */
  void begin(long s) {
    step = s;
    phase = Phase.PROGRAM;
    busy = false;
    own = null;
    received.keySet().removeIf(k -> k < s);
  }

  /** The device finished its program of the step: its gradients are complete. */
  void programDone() {
    phase = Phase.DOWNLOAD;
  }

  /** Another replica's gradients (replica 0's sum, at the others) arrived. */
  void arrived(TensorFrameHeader h, HostTensor tensor) {
    int from = h.getFromReplica();
    if (from < 0 || from >= sameDevice.size() || from == replica || (replica != 0 && from != 0)) {
      throw new IllegalArgumentException("replica " + replica + " does not expect gradients from replica " + from);
    }
    received.computeIfAbsent(h.getStep(), k -> new HashMap<>()).put(from, tensor.data());
  }

  /** The next piece of work of step {@code s}, started; null when there is none to start now. */
  CompletableFuture<Outcome> next(long s) {
    if (busy || s != step) {
      return null;
    }
    Map<Integer, float[]> got = received.getOrDefault(step, Map.of());
    CompletableFuture<Outcome> work = switch (phase) {
      case DOWNLOAD -> CompletableFuture.supplyAsync(() -> new Outcome(Kind.DOWNLOADED, compute.replicaGradients()),
          executor);
      case SEND -> send(0, own).thenApply(v -> new Outcome(Kind.SENT, null));
      case WAIT_SUM -> {
        float[] sum = got.get(0);
        yield sum == null ? null : CompletableFuture.supplyAsync(() -> {
          compute.setReplicaGradients(sum);
          return new Outcome(Kind.REDUCED, null);
        }, executor);
      }
      case GATHER -> got.size() < sameDevice.size() - 1 ? null : combine(own, got);
      case BROADCAST -> broadcast(own);
      default -> null;
    };
    busy = work != null;
    return work;
  }

  /** A piece of work of the current step finished; returns whether the step's reduction is complete. */
  boolean completed(Outcome o) {
    busy = false;
    switch (o.kind()) {
      case DOWNLOADED -> {
        own = o.data();
        phase = replica == 0 ? Phase.GATHER : Phase.SEND;
      }
      case SENT -> phase = Phase.WAIT_SUM;
      case COMBINED -> {
        own = o.data();
        phase = Phase.BROADCAST;
      }
      case REDUCED -> phase = Phase.DONE;
      default -> throw new IllegalStateException(o.kind().toString());
    }
    return phase == Phase.DONE;
  }

  /** Replica 0: g0 + g1 + ... in replica order, loaded into the device's gradients. */
  private CompletableFuture<Outcome> combine(float[] mine, Map<Integer, float[]> got) {
    float[][] others = new float[sameDevice.size()][];
    got.forEach((r, g) -> others[r] = g);
    return CompletableFuture.supplyAsync(() -> {
      float[] sum = mine.clone();
      for (int r = 1; r < others.length; r++) {
        GradientReduction.add(sum, others[r]);
      }
      compute.setReplicaGradients(sum);
      return new Outcome(Kind.COMBINED, sum);
    }, executor);
  }

  private CompletableFuture<Outcome> broadcast(float[] sum) {
    CompletableFuture<?>[] sends = new CompletableFuture<?>[sameDevice.size() - 1];
    for (int r = 1; r < sameDevice.size(); r++) {
      sends[r - 1] = send(r, sum);
    }
    return CompletableFuture.allOf(sends).thenApply(v -> new Outcome(Kind.REDUCED, null));
  }

  private CompletableFuture<Void> send(int to, float[] gradients) {
    HostTensor t = new HostTensor(new int[] {1, gradients.length}, gradients);
    TensorFrameHeader h = TensorFrameHeader.newBuilder().setJobId(jobId).setStep(step).setTargetStage(targetStage)
        .setGradient(true).setAllReduce(true).setReplica(to).setFromReplica(replica).setPayloadBytes(t.bytes())
        .addShape(1).addShape(gradients.length).build();
    return transport.send(sameDevice.get(to), new StageWorker.TensorArrived(h, t)).toCompletableFuture();
  }
}
