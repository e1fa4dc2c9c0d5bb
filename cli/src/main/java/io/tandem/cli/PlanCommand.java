package io.tandem.cli;

import io.tandem.model.GptSpec;
import io.tandem.model.ModelSpec;
import io.tandem.planner.Alternative;
import io.tandem.planner.AnalyticProfiler;
import io.tandem.planner.Bytes;
import io.tandem.planner.ClusterFile;
import io.tandem.planner.ClusterSpec;
import io.tandem.planner.GptShape;
import io.tandem.planner.ModelProfile;
import io.tandem.planner.NoFeasiblePlanException;
import io.tandem.planner.Plan;
import io.tandem.planner.PlanJson;
import io.tandem.planner.PlanRequest;
import io.tandem.planner.Planner;
import io.tandem.planner.StageRange;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tandem plan}: the planner's choice of schedule, pipeline depth x data-parallel width,
 * microbatching, recomputation and layer split for a model on a set of devices. Exit 0 with the
 * plan, 3 when nothing fits (one line: the short device, by how much, what would fit), 2 on bad
 * input.
 */
@Command(name = "plan", mixinStandardHelpOptions = true,
    description = "Choose schedule, partition, microbatching and recomputation under a memory budget.")
public final class PlanCommand implements Callable<Integer> {
  /** Exit code when no plan fits the devices. */
  public static final int NO_FIT = 3;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  static final class ModelSource {
    @Option(names = "--model", paramLabel = "SHAPE",
        description = "gpt:layers=L,hidden=H,heads=A,seq=S,vocab=V or a GPT preset (gpt-tiny, gpt-mini): analytic profile")
    String model;

    @Option(names = "--profile", paramLabel = "FILE", description = "profile JSON written by 'tandem profile'")
    Path profile;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  ModelSource source;

  static final class DeviceSource {
    @Option(names = "--devices", paramLabel = "N", description = "N identical devices (with --device-memory)")
    Integer devices;

    @Option(names = "--devices-file", paramLabel = "FILE",
        description = "JSON: {\"devices\":[{\"id\":\"gpu0\",\"memory\":\"24GiB\",\"speed\":1.0},...],\"linkBandwidth\":\"10GB\"}")
    Path devicesFile;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  DeviceSource devices;

  @Option(names = "--device-memory", paramLabel = "SIZE", defaultValue = "24GiB",
      description = "memory per device with --devices (default: ${DEFAULT-VALUE})")
  String deviceMemory;

  @Option(names = "--global-batch", paramLabel = "B", required = true, description = "sequences per optimizer step")
  int globalBatch;

  @Option(names = "--json", description = "one JSON object instead of a table")
  boolean json;

  @Option(names = "--schedules", split = ",", paramLabel = "NAME",
      description = "families to search (default: all)")
  List<String> schedules = new ArrayList<>();

  @Option(names = "--microbatch-sizes", split = ",", paramLabel = "N",
      description = "microbatch sizes to try (default: powers of two dividing the per-replica batch)")
  List<Integer> microbatchSizes = new ArrayList<>();

  @Option(names = "--no-recompute", description = "never recompute activations")
  boolean noRecompute;

  @Option(names = "--no-data-parallel", description = "use all devices as one pipeline")
  boolean noDataParallel;

  @Option(names = "--flops", defaultValue = "50e12", paramLabel = "FLOP/s",
      description = "analytic profile: matrix FLOP/s of a speed-1 device (default: ${DEFAULT-VALUE})")
  double flops;

  @Option(names = "--mem-bandwidth", defaultValue = "2e12", paramLabel = "B/s",
      description = "analytic profile: memory bandwidth of a speed-1 device (default: ${DEFAULT-VALUE})")
  double memBandwidth;

  @Option(names = "--pass-overhead-ms", defaultValue = "0.01",
      description = "analytic profile: fixed cost per layer pass (default: ${DEFAULT-VALUE})")
  double passOverheadMs;

  @Option(names = "--link-bandwidth", paramLabel = "SIZE",
      description = "bytes/s between devices with --devices (default: 10GB)")
  String linkBandwidth;

  @Option(names = "--link-latency-ms", description = "latency between devices with --devices (default: 0.02)")
  Double linkLatencyMs;

  @Option(names = "--allreduce", paramLabel = "FILE",
      description = "all-reduce cost measured by 'tandem bench allreduce --json' (its output lines); default: a ring"
          + " at the link bandwidth")
  java.nio.file.Path allReduceFile;

  @Override
  public Integer call() {
    ModelProfile profile = profile();
    ClusterSpec cluster = cluster();
    if (allReduceFile != null) {
      cluster = cluster.withAllReduce(io.tandem.planner.AllReduceFile.read(allReduceFile));
    }
    PlanRequest request = PlanRequest.of(profile, cluster, globalBatch).withSchedules(schedules)
        .withMicrobatchSizes(microbatchSizes).withRecompute(!noRecompute).withDataParallel(!noDataParallel);
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Plan plan;
    try {
      plan = new Planner().plan(request);
    } catch (NoFeasiblePlanException e) {
      if (json) {
        out.println(PlanJson.failureJson(e));
        out.flush();
      }
      err.println("tandem: " + e.getMessage());
      err.flush();
      return NO_FIT;
    }
    if (json) {
      out.println(PlanJson.toJson(plan));
    } else {
      printTable(out, plan, profile);
    }
    out.flush();
    return 0;
  }

  private ModelProfile profile() {
    if (source.profile != null) {
      return ModelProfile.read(source.profile);
    }
    AnalyticProfiler analytic = new AnalyticProfiler(flops, memBandwidth, passOverheadMs);
    String m = source.model.trim();
    ModelSpec model = CliModels.parse(m);
    if (!(model instanceof GptSpec g)) {
      throw new IllegalArgumentException("--model " + m + " is not a GPT; measure it with 'tandem profile' and pass --profile");
    }
    return analytic.profile(new GptShape(g.blocks(), g.width(), g.heads(), g.seqLen(), g.vocab()), 1);
  }

  private ClusterSpec cluster() {
    if (devices.devicesFile != null) {
      return ClusterFile.read(devices.devicesFile);
    }
    if (devices.devices < 1) {
      throw new IllegalArgumentException("--devices must be >= 1, got " + devices.devices);
    }
    ClusterSpec c = ClusterSpec.uniform(devices.devices, Bytes.parse(deviceMemory));
    double bw = linkBandwidth == null ? c.linkBytesPerSecond() : Bytes.parse(linkBandwidth);
    double lat = linkLatencyMs == null ? c.linkLatencyMs() : linkLatencyMs;
    return new ClusterSpec(c.devices(), bw, lat);
  }

  private static void printTable(PrintWriter out, Plan p, ModelProfile profile) {
    out.printf(Locale.ROOT, "plan: %s on %d device(s): pipeline depth %d x data-parallel %d, %d chunk(s) per device%n",
        p.schedule(), p.devices(), p.pipelineDepth(), p.dataParallel(), p.chunksPerDevice());
    out.printf(Locale.ROOT, "batch: %d = %d replica(s) x %d microbatches x %d sequences%s%n", p.globalBatch(),
        p.dataParallel(), p.microbatches(), p.microbatchSize(),
        p.memoryLimit() > 0 ? String.format(Locale.ROOT, "; auto memory limit %.1f", p.memoryLimit()) : "");
    if (p.request().cluster().allReduce() != null) {
      out.println("cost model: " + p.request().cluster().allReduce().describe());
    }
    int worst = 0;
    for (int i = 0; i < p.devices(); i++) {
      if (p.peakBytesPerDevice().get(i) > p.peakBytesPerDevice().get(worst)) {
        worst = i;
      }
    }
    out.printf(Locale.ROOT, "step: %.1f ms simulated, bubble %.1f%%; peak %s of %s on %s (%d scored)%n",
        p.stepTimeMs(), 100 * p.bubble(), Bytes.format(p.peakBytesPerDevice().get(worst)),
        Bytes.format(p.deviceMemoryBytes().get(worst)), p.deviceIds().get(worst), p.evaluated());
    out.printf(Locale.ROOT, "%-6s %-9s %-12s %-24s %-9s %12s%n", "stage", "position", "layers", "names", "recompute",
        "peak/device");
    for (StageRange s : p.stages()) {
      int pos = p.placement().get(s.virtualStage());
      String names = profile.layer(s.firstLayer()).name()
          + (s.layers() > 1 ? ".." + profile.layer(s.endLayer() - 1).name() : "");
      out.printf(Locale.ROOT, "%-6d %-9d %-12s %-24s %-9s %12s%n", s.virtualStage(), pos,
          "[" + s.firstLayer() + "," + s.endLayer() + ")", names, p.recompute().get(s.virtualStage()) ? "yes" : "no",
          Bytes.format(p.peakBytesPerDevice().get(pos)));
    }
    out.println("alternatives (best of each family):");
    out.printf(Locale.ROOT, "%-17s %12s %12s %-5s %s%n", "schedule", "step ms", "peak", "fits", "configuration / reason");
    for (Alternative a : p.alternatives()) {
      long peak = a.peakBytesPerDevice().stream().mapToLong(Long::longValue).max().orElse(0);
      out.printf(Locale.ROOT, "%-17s %12s %12s %-5s %s%n", a.schedule(),
          Double.isNaN(a.stepTimeMs()) ? "-" : String.format(Locale.ROOT, "%.1f", a.stepTimeMs()),
          peak == 0 ? "-" : Bytes.format(peak), a.feasible() ? "yes" : "no",
          (a.config().isEmpty() ? "" : a.config() + ": ") + a.reason());
    }
  }
}
