package io.tandem.actors;

import io.tandem.proto.JobSpec;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Activation recomputation of a job ({@code recompute}: {@code none}, {@code all} or
 * {@code planner}): which virtual stages drop their stashed activations after F, keep only their
 * input, and recompute the stash before B. It changes memory, never results.
 */
public final class Recompute {
  public static final String NONE = "none";
  public static final String ALL = "all";
  public static final String PLANNER = "planner";
  /** The modes a spec may name ({@code ""} means {@code none}). */
  public static final List<String> MODES = List.of(NONE, ALL, PLANNER);

  private Recompute() {}

  /** The spec's mode, lower case; {@code none} when the field is empty. */
  public static String mode(JobSpec spec) {
    String m = spec.getRecompute().trim().toLowerCase(Locale.ROOT);
    return m.isEmpty() ? NONE : m;
  }

  /** Whether the spec may recompute anywhere (mode {@code all}, or {@code planner}). */
  public static boolean allowed(JobSpec spec) {
    return !mode(spec).equals(NONE);
  }

  /**
   * Per virtual stage of a schedule with {@code stages} of them, whether it recomputes: none,
   * all, or the planner's choice ({@code recomputeStages}; none when the planner made no choice,
   * e.g. without a profile for the model).
   */
  public static List<Boolean> flags(JobSpec spec, int stages) {
    String m = mode(spec);
    if (m.equals(ALL)) {
      return Collections.nCopies(stages, true);
    }
    if (m.equals(PLANNER) && spec.getRecomputeStagesCount() > 0) {
      if (spec.getRecomputeStagesCount() != stages) {
        throw new IllegalArgumentException("recomputeStages: " + spec.getRecomputeStagesCount()
            + " flags for a schedule of " + stages + " virtual stages");
      }
      return List.copyOf(spec.getRecomputeStagesList());
    }
    return Collections.nCopies(stages, false);
  }

  /** A short description for logs and summaries, e.g. {@code all} or {@code planner (2/4 stages)}. */
  public static String describe(JobSpec spec, int stages) {
    String m = mode(spec);
    if (!m.equals(PLANNER)) {
      return m;
    }
    List<Boolean> f = flags(spec, stages);
    long on = f.stream().filter(b -> b).count();
    return m + " (" + on + "/" + stages + " stages)";
  }
}
