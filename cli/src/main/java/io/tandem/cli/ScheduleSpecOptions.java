package io.tandem.cli;

import io.tandem.schedule.OpCosts;
import io.tandem.schedule.ScheduleSpec;
import java.util.OptionalDouble;
import picocli.CommandLine.Option;

/** The options that make a {@link ScheduleSpec}: {@code -p -m --chunks --costs --memory-limit}. */
final class ScheduleSpecOptions {
  @Option(names = {"-p", "--devices"}, required = true, paramLabel = "P", description = "Pipeline devices.")
  int devices;

  @Option(names = {"-m", "--microbatches"}, required = true, paramLabel = "M",
      description = "Microbatches per step.")
  int microbatches;

  @Option(names = "--chunks", paramLabel = "C", defaultValue = "1",
      description = "Chunks per device for generators with a free chunk count (interleaved-1f1b: 1 means its"
          + " default 2). Default: ${DEFAULT-VALUE}.")
  int chunks;

  @Option(names = "--costs", paramLabel = "F=1,B=1,W=1,comm=0", defaultValue = "F=1,B=1,W=1,comm=0",
      description = "Op costs for one microbatch through 1/p of the model. Default: ${DEFAULT-VALUE}.")
  String costs;

  @Option(names = "--memory-limit", paramLabel = "X",
      description = "Peak activation limit per device, in units of one microbatch's activations for 1/p of"
          + " the model (read by auto; other schedules are refused when they exceed it).")
  Double memoryLimit;

  /** The spec, refused when it is over {@code maxOps} (see {@link ScheduleSize}) for {@code command}. */
  ScheduleSpec spec(long maxOps, String command) {
    ScheduleSize.check(devices, microbatches, chunks, maxOps, command);
    return spec();
  }

  ScheduleSpec spec() {
    return new ScheduleSpec(devices, microbatches, chunks, OpCosts.parse(costs), null,
        memoryLimit == null ? OptionalDouble.empty() : OptionalDouble.of(memoryLimit));
  }
}
