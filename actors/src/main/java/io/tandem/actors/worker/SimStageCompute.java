package io.tandem.actors.worker;

import io.tandem.actors.transport.HostTensor;
import io.tandem.schedule.StageCosts;
import java.util.Collections;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The simulated-cost backend ({@code --backend sim}): every op waits its schedule cost times
 * {@code opMillis} instead of computing, so the runtime's schedule throughput can be measured
 * independent of core count. Activations are one-element placeholders; the stash is real, so
 * activation counting works as with a model.
 */
public final class SimStageCompute implements StageCompute {
  private static final float[] PLACEHOLDER = new float[] {0f};
  private static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(200);

  private final StageCosts costs;
  private final double opMillis;
  private final int lastStage;
  private final Set<Long> stashed = new HashSet<>();
  /** Per virtual stage held: its gradient elements (zeros), for a data-parallel all-reduce of real size. */
  private final Map<Integer, Integer> gradientElements = new java.util.HashMap<>();

  public SimStageCompute(StageCosts costs, double opMillis) {
    this(costs, opMillis, java.util.List.of(), 0);
  }

  /**
   * @param stages the virtual stages this device holds
   * @param gradientBytes the gradient bytes the device holds, split evenly over {@code stages}
   */
  public SimStageCompute(StageCosts costs, double opMillis, java.util.List<Integer> stages, long gradientBytes) {
    if (!(opMillis >= 0)) {
      throw new IllegalArgumentException("--op-ms must be >= 0, got " + opMillis);
    }
    this.costs = costs;
    this.opMillis = opMillis;
    this.lastStage = costs.stages() - 1;
    for (int v : stages) {
      gradientElements.put(v, (int) (gradientBytes / 4 / stages.size()));
    }
  }

  @Override
  public HostTensor forward(long step, int mb, int v, int version, HostTensor input) {
    waitFor(costs.f(v));
    synchronized (stashed) {
      stashed.add(key(mb, v));
    }
    return v == lastStage ? null : new HostTensor(new int[] {1}, PLACEHOLDER);
  }

  @Override
  public HostTensor backwardInput(long step, int mb, int v, int version, HostTensor gradOutput) {
    waitFor(costs.b(v));
    return v == 0 ? null : new HostTensor(new int[] {1}, PLACEHOLDER);
  }

  @Override
  public void backwardWeight(long step, int mb, int v, int version) {
    waitFor(costs.w(v));
    synchronized (stashed) {
      stashed.remove(key(mb, v));
    }
  }

  @Override
  public int heldActivations() {
    synchronized (stashed) {
      return stashed.size();
    }
  }

  @Override
  public long heldActivationBytes() {
    return 4L * heldActivations();
  }

  @Override
  public Map<Integer, Double> losses(long step) {
    return Collections.emptyMap();
  }

  @Override
  public SortedMap<Integer, Double> gradientSumSquares() {
    return new TreeMap<>();
  }

  @Override
  public float[] stageGradients(int v) {
    return new float[gradientElements.getOrDefault(v, 0)];
  }

  @Override
  public void setStageGradients(int v, float[] reduced) {
    if (reduced.length != gradientElements.getOrDefault(v, 0)) {
      throw new IllegalArgumentException("virtual stage " + v + " holds " + gradientElements.getOrDefault(v, 0)
          + " gradient elements, got " + reduced.length);
    }
  }

  @Override
  public void applyUpdate(long step, double gradScale) {
    // nothing to update: the sim backend has no weights
  }

  @Override
  public SortedMap<Integer, byte[]> layerDigests() {
    return new TreeMap<>();
  }

  @Override
  public void close() {
    // nothing held
  }

  private static long key(int mb, int v) {
    return ((long) mb << 32) | v;
  }

  private void waitFor(double cost) {
    long nanos = Math.round(cost * opMillis * 1_000_000.0);
    long deadline = System.nanoTime() + nanos;
    long left;
    // park while far from the deadline, then spin: parking overshoots by tens of microseconds,
    // which would add up over the hundreds of ops of a step
    while ((left = deadline - System.nanoTime()) > SPIN_NANOS) {
      LockSupport.parkNanos(Math.min(left - SPIN_NANOS, TimeUnit.MILLISECONDS.toNanos(5)));
    }
    while (deadline - System.nanoTime() > 0) {
      Thread.onSpinWait();
    }
  }
}
