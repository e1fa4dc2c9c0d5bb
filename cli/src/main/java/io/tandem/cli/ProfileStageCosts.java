package io.tandem.cli;

import io.tandem.actors.worker.Partition;
import io.tandem.planner.LayerProfile;
import io.tandem.planner.ModelProfile;
import io.tandem.schedule.StageCosts;

/**
 * Per-virtual-stage op costs from a measured model profile ({@code tandem profile}): the model's
 * layers split over the virtual stages as the runtime splits them ({@link Partition#even}), each
 * stage's F, B and W the sums of its layers' times, in milliseconds.
 */
final class ProfileStageCosts {
  private ProfileStageCosts() {}

  /** The costs of {@code stages} virtual stages, with {@code comm} per hop; throws when there are fewer layers than stages. */
  static StageCosts of(ModelProfile profile, int stages, double comm) {
    int layers = profile.numLayers();
    if (layers < stages) {
      throw new IllegalArgumentException("the profile has " + layers + " layers, fewer than the " + stages
          + " virtual stages to split them over");
    }
    double[] f = new double[stages];
    double[] b = new double[stages];
    double[] w = new double[stages];
    Partition split = Partition.even(layers, stages);
    for (int v = 0; v < stages; v++) {
      for (int at = split.first(v); at < split.end(v); at++) {
        LayerProfile l = profile.layer(at);
        f[v] += l.forwardMs();
        b[v] += l.backwardInputMs();
        w[v] += l.backwardWeightMs();
      }
    }
    return new StageCosts(f, b, w, comm);
  }
}
