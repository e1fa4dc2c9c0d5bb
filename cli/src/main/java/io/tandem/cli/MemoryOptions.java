package io.tandem.cli;

import io.tandem.schedule.MemoryModel;
import io.tandem.schedule.Schedule;
import io.tandem.schedule.SimulationResult;
import io.tandem.schedule.Simulator;
import io.tandem.schedule.StageCosts;
import picocli.CommandLine.Option;

/** {@code --b-release F}: simulate with B freeing a fraction of the activation (W the rest). */
final class MemoryOptions {
  @Option(names = "--b-release", paramLabel = "FRACTION", defaultValue = "0",
      description = "Share of a chunk's activation freed by its B (W frees the rest); 0 = the activation is"
          + " held until W. Default: ${DEFAULT-VALUE}.")
  double bRelease;

  MemoryModel model() {
    return new MemoryModel(bRelease);
  }

  SimulationResult simulate(Schedule s) {
    return Simulator.simulate(s, StageCosts.uniform(s.costs(), s.stages(), s.chunksPerDevice()), model());
  }
}
