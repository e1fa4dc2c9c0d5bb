package io.tandem.planner;

import java.util.ArrayList;
import java.util.List;

/**
 * A plan: which schedule runs, on which devices, which layers each virtual stage holds, how the
 * global batch is cut into microbatches, where activations are recomputed, and what the planner
 * expects of it (simulated step time, peak memory per device). The runtime regenerates the op
 * order from {@link #schedule()}, {@link #pipelineDepth()}, {@link #microbatches()},
 * {@link #chunksPerDevice()} and (for {@code auto}) {@link #memoryLimit()} with uniform costs,
 * exactly as the planner scored it.
 *
 * <p>Devices: the plan uses {@code devices = pipelineDepth x dataParallel} of the cluster's
 * devices; plan device {@code i} is {@code deviceIds.get(i)}, replica {@code i / pipelineDepth},
 * pipeline position {@code i % pipelineDepth}. All replicas hold the same layers and average
 * their gradients after each step. Per-device lists ({@code deviceIds},
 * {@code peakBytesPerDevice}, {@code activationBytesPerDevice}, {@code deviceMemoryBytes}) use
 * that order.
 *
 * @param schedule registry name of the schedule family
 * @param devices devices used ({@code pipelineDepth * dataParallel})
 * @param pipelineDepth devices per pipeline ({@code p} of the schedule)
 * @param dataParallel pipeline replicas
 * @param chunksPerDevice virtual stages per device
 * @param placement pipeline position of each virtual stage
 * @param stages layer range of each virtual stage, in stage order
 * @param microbatches microbatches per replica per step
 * @param microbatchSize sequences per microbatch
 * @param recompute per virtual stage, whether its activations are recomputed in B
 * @param memoryLimit {@code auto}'s peak-activation limit (DESIGN.md units); 0 for other families
 * @param stepTimeMs simulated step time, gradient all-reduce included (V-shape and ZB-H2 orders
 *     with more than {@code max(2p, 32)} microbatches: simulated on that many and on half as many and
 *     extended linearly, since generating their full orders takes seconds)
 * @param bubble simulated idle share of the pipeline
 * @param deviceIds cluster device of each plan device
 * @param peakBytesPerDevice expected peak: weights, gradients, optimizer state, activations
 * @param activationBytesPerDevice the activation part of the peak
 * @param deviceMemoryBytes each device's memory
 * @param alternatives the best configuration of every family searched, and why not chosen
 * @param evaluated configurations the search scored
 * @param request what was planned (kept for {@link Planner#replan}; not serialized)
 */
public record Plan(
    String schedule,
    int devices,
    int pipelineDepth,
    int dataParallel,
    int chunksPerDevice,
    List<Integer> placement,
    List<StageRange> stages,
    int microbatches,
    int microbatchSize,
    List<Boolean> recompute,
    double memoryLimit,
    double stepTimeMs,
    double bubble,
    List<String> deviceIds,
    List<Long> peakBytesPerDevice,
    List<Long> activationBytesPerDevice,
    List<Long> deviceMemoryBytes,
    List<Alternative> alternatives,
    int evaluated,
    PlanRequest request) {

  public Plan {
    placement = List.copyOf(placement);
    stages = List.copyOf(stages);
    recompute = List.copyOf(recompute);
    deviceIds = List.copyOf(deviceIds);
    peakBytesPerDevice = List.copyOf(peakBytesPerDevice);
    activationBytesPerDevice = List.copyOf(activationBytesPerDevice);
    deviceMemoryBytes = List.copyOf(deviceMemoryBytes);
    alternatives = List.copyOf(alternatives);
    if (devices != pipelineDepth * dataParallel || deviceIds.size() != devices) {
      throw new IllegalArgumentException("plan uses " + devices + " devices, depth " + pipelineDepth + " x "
          + dataParallel + ", ids for " + deviceIds.size());
    }
  }

  /** Stage boundaries: stage {@code v} holds layers {@code [b[v], b[v+1])} (the runtime's Partition form). */
  public List<Integer> boundaries() {
    List<Integer> b = new ArrayList<>(stages.size() + 1);
    for (StageRange s : stages) {
      b.add(s.firstLayer());
    }
    b.add(stages.get(stages.size() - 1).endLayer());
    return List.copyOf(b);
  }

  /** Sequences per step over all replicas. */
  public int globalBatch() {
    return microbatches * microbatchSize * dataParallel;
  }

  /** Whether any stage recomputes. */
  public boolean anyRecompute() {
    return recompute.contains(Boolean.TRUE);
  }

  /** Layer ranges held by pipeline position {@code position}, in stage order. */
  public List<StageRange> stagesOf(int position) {
    List<StageRange> out = new ArrayList<>();
    for (int v = 0; v < stages.size(); v++) {
      if (placement.get(v) == position) {
        out.add(stages.get(v));
      }
    }
    return out;
  }
}
