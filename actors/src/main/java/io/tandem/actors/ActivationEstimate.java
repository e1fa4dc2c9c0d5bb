package io.tandem.actors;

import io.tandem.actors.worker.Partition;
import io.tandem.model.GptSpec;
import io.tandem.model.ModelShapes;
import io.tandem.model.ModelSpec;
import io.tandem.planner.AnalyticProfiler;
import io.tandem.planner.GptShape;
import io.tandem.planner.MemoryEstimate;
import io.tandem.planner.ModelProfile;
import io.tandem.proto.JobSpec;
import io.tandem.schedule.Schedule;
import java.util.Locale;
import java.util.Optional;

/**
 * The planner's peak activation bytes per device for a job as it runs: its schedule, its layer
 * split and its recomputation ({@link MemoryEstimate#activationPeaks} on the planner's analytic
 * profile, which mirrors what the fp32 layers stash). What a run's measured peaks are held
 * against.
 */
public final class ActivationEstimate {
  private ActivationEstimate() {}

  /** Per device; empty when the planner has no profile of the model (sim backend, non-GPT model). */
  public static Optional<long[]> of(JobSpec spec, Schedule schedule) {
    String backend = spec.getBackend().toLowerCase(Locale.ROOT);
    if (!backend.equals("cpu") && !backend.equals("cuda")) {
      return Optional.empty();
    }
    ModelSpec model = ModelShapes.parse(spec.getModel());
    if (!(model instanceof GptSpec g)) {
      return Optional.empty();
    }
    ModelProfile profile = AnalyticProfiler.gpuDefault()
        .profile(new GptShape(g.blocks(), g.width(), g.heads(), g.seqLen(), g.vocab()), spec.getMicrobatchSize());
    Partition split = spec.getStageBoundariesCount() > 0 ? new Partition(spec.getStageBoundariesList())
        : Partition.even(model.numLayers(), schedule.stages());
    return Optional.of(MemoryEstimate.activationPeaks(profile, schedule, split.boundaries(),
        Recompute.flags(spec, schedule.stages())));
  }
}
