package io.tandem.planner;

import java.util.List;

/**
 * What to plan: a model profile on a cluster for a global batch, and the search space.
 *
 * @param profile per-layer profile (scaled linearly to other microbatch sizes)
 * @param cluster the devices and link
 * @param globalBatch sequences per optimizer step, over all data-parallel replicas
 * @param schedules families to search (registry names); empty = all of {@link Family#ALL}
 * @param microbatchSizes sizes to try; empty = powers of two dividing the per-replica batch
 * @param allowRecompute whether stages may recompute activations
 * @param allowDataParallel whether to search data-parallel widths > 1 (else depth = devices)
 * @param dataParallelWidths with {@code allowDataParallel}, the only widths to search (empty = any)
 * @param maxEvaluations bound on configurations scored (simulated); the search goes best-first
 */
public record PlanRequest(
    ModelProfile profile,
    ClusterSpec cluster,
    int globalBatch,
    List<String> schedules,
    List<Integer> microbatchSizes,
    boolean allowRecompute,
    boolean allowDataParallel,
    List<Integer> dataParallelWidths,
    int maxEvaluations) {
  /** Default bound on scored configurations. */
  public static final int DEFAULT_MAX_EVALUATIONS = 160;

  public PlanRequest {
    if (profile == null || cluster == null) {
      throw new IllegalArgumentException("a plan request needs a profile and a cluster");
    }
    if (globalBatch < 1) {
      throw new IllegalArgumentException("--global-batch must be >= 1, got " + globalBatch);
    }
    schedules = List.copyOf(schedules);
    for (String s : schedules) {
      Family.byName(s);
    }
    microbatchSizes = List.copyOf(microbatchSizes);
    for (int b : microbatchSizes) {
      if (b < 1) {
        throw new IllegalArgumentException("microbatch sizes must be >= 1, got " + b);
      }
    }
    dataParallelWidths = List.copyOf(dataParallelWidths);
    for (int w : dataParallelWidths) {
      if (w < 1) {
        throw new IllegalArgumentException("data-parallel widths must be >= 1, got " + w);
      }
    }
    if (maxEvaluations < 1) {
      throw new IllegalArgumentException("maxEvaluations must be >= 1, got " + maxEvaluations);
    }
  }

  /** Every family, every power-of-two microbatch size, recomputation and data parallelism allowed. */
  public static PlanRequest of(ModelProfile profile, ClusterSpec cluster, int globalBatch) {
    return new PlanRequest(profile, cluster, globalBatch, List.of(), List.of(), true, true, List.of(), DEFAULT_MAX_EVALUATIONS);
  }

  public PlanRequest withCluster(ClusterSpec c) {
    return new PlanRequest(profile, c, globalBatch, schedules, microbatchSizes, allowRecompute, allowDataParallel,
        dataParallelWidths, maxEvaluations);
  }

  public PlanRequest withSchedules(List<String> names) {
    return new PlanRequest(profile, cluster, globalBatch, names, microbatchSizes, allowRecompute, allowDataParallel,
        dataParallelWidths, maxEvaluations);
  }

  public PlanRequest withMicrobatchSizes(List<Integer> sizes) {
    return new PlanRequest(profile, cluster, globalBatch, schedules, sizes, allowRecompute, allowDataParallel,
        dataParallelWidths, maxEvaluations);
  }

  public PlanRequest withRecompute(boolean allow) {
    return new PlanRequest(profile, cluster, globalBatch, schedules, microbatchSizes, allow, allowDataParallel,
        dataParallelWidths, maxEvaluations);
  }

  public PlanRequest withDataParallel(boolean allow) {
    return new PlanRequest(profile, cluster, globalBatch, schedules, microbatchSizes, allowRecompute, allow,
        dataParallelWidths, maxEvaluations);
  }

  /** Data parallelism allowed, at these widths only (empty = any). */
  public PlanRequest withDataParallelWidths(List<Integer> widths) {
    return new PlanRequest(profile, cluster, globalBatch, schedules, microbatchSizes, allowRecompute, true, widths,
        maxEvaluations);
  }

  public PlanRequest withMaxEvaluations(int max) {
    return new PlanRequest(profile, cluster, globalBatch, schedules, microbatchSizes, allowRecompute,
        allowDataParallel, dataParallelWidths, max);
  }

  /** The families to search, in {@link Family#ALL} order. */
  public List<Family> families() {
    if (schedules.isEmpty()) {
      return Family.ALL;
    }
    return Family.ALL.stream().filter(f -> schedules.stream().anyMatch(s -> s.equalsIgnoreCase(f.name()))).toList();
  }
}
