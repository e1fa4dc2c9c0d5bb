package io.tandem.cli;

import io.tandem.planner.AnalyticProfiler;
import io.tandem.planner.Bytes;
import io.tandem.planner.ClusterSpec;
import io.tandem.planner.GptShape;
import io.tandem.planner.ModelProfile;
import io.tandem.planner.NoFeasiblePlanException;
import io.tandem.planner.Plan;
import io.tandem.planner.PlanRequest;
import io.tandem.planner.Planner;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tandem bench planner}: issue 5's numbers. (1) planning time against layers and devices,
 * (2) re-planning 63 of 64 devices of a 96-layer model, (3) the hybrid grid search: best plan
 * against the best 1F1B-only plan on 16 and 32 devices under one memory budget. Each timing is
 * taken in this JVM: the first run (cold: class loading, JIT, empty caches) and the best of
 * {@code --repeat} runs on a fresh Planner; wall and the planning thread's CPU time.
 */
@Command(name = "planner", mixinStandardHelpOptions = true,
    description = "Planner timing and the hybrid grid-search comparison (numbers for BENCHMARKS.md).")
public final class BenchPlannerCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--layers", split = ",", description = "transformer blocks for the layer sweep (default: 24,48,96,192)")
  List<Integer> layers = new ArrayList<>(List.of(24, 48, 96, 192));

  @Option(names = "--devices", split = ",", description = "device counts for the device sweep (default: 4,16,64,256)")
  List<Integer> devices = new ArrayList<>(List.of(4, 16, 64, 256));

  @Option(names = "--hybrid-devices", split = ",", description = "device counts of the grid-search comparison (default: 16,32)")
  List<Integer> hybridDevices = new ArrayList<>(List.of(16, 32));

  @Option(names = "--repeat", defaultValue = "3", description = "runs per timing (default: ${DEFAULT-VALUE})")
  int repeat;

  @Option(names = "--skip-replan", description = "leave out the 63-of-64 re-plan")
  boolean skipReplan;

  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();

  /** Hidden 2048, 16 heads, 2048 tokens, GPT-2 vocabulary; H100-like fp32 rates; 80 GiB. */
  static ModelProfile sweepModel(int blocks) {
    return AnalyticProfiler.gpuDefault().profile(new GptShape(blocks, 2048, 16, 2048, 50257), 1);
  }

  record Timing(double firstMs, double bestMs, double bestCpuMs, Plan plan) {}

  @Override
  public void run() {
    if (repeat < 1) {
      throw new IllegalArgumentException("--repeat must be >= 1, got " + repeat);
    }
    PrintWriter out = spec.commandLine().getOut();
    out.printf(Locale.ROOT, "planner bench: %d CPU(s), Java %s, %d run(s) per timing%n",
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), repeat);
    out.println("model: gpt hidden=2048 heads=16 seq=2048 vocab=50257, analytic " + AnalyticProfiler.gpuDefault().describe()
        + "; devices 80 GiB, link 10 GB/s 0.02 ms; global batch 512 (1024 for 256 devices)");
    out.printf(Locale.ROOT, "%-8s %-8s %10s %10s %10s %6s  %s%n", "blocks", "devices", "first ms", "best ms",
        "cpu ms", "scored", "plan");
    for (int l : layers) {
      sweepRow(out, l, 64);
    }
    for (int n : devices) {
      sweepRow(out, 96, n);
    }
    out.flush();
    if (!skipReplan) {
      replan(out);
    }
    for (int n : hybridDevices) {
      hybrid(out, n);
    }
    out.flush();
  }

  private void sweepRow(PrintWriter out, int blocks, int n) {
    ModelProfile profile = sweepModel(blocks);
    PlanRequest r = PlanRequest.of(profile, ClusterSpec.uniform(n, Bytes.parse("80GiB")), n >= 256 ? 1024 : 512);
    Timing t = time(() -> new Planner().plan(r));
    out.printf(Locale.ROOT, "%-8d %-8d %10.1f %10.1f %10.1f %6d  %s%n", blocks, n, t.firstMs(), t.bestMs(),
        t.bestCpuMs(), t.plan().evaluated(), describe(t.plan()));
    out.flush();
  }

  private void replan(PrintWriter out) {
    ModelProfile profile = sweepModel(96 - 3);
    PlanRequest r = PlanRequest.of(profile, ClusterSpec.uniform(64, Bytes.parse("80GiB")), 512);
    double best = Double.POSITIVE_INFINITY;
    double bestCpu = Double.POSITIVE_INFINITY;
    double first = 0;
    Plan before = null;
    Plan after = null;
    for (int i = 0; i < repeat; i++) {
      Planner planner = new Planner(); // as at job start: planned for 64, then one device fails
      before = planner.plan(r);
      List<io.tandem.planner.DeviceSpec> survivors = new ArrayList<>(r.cluster().devices());
      survivors.remove(survivors.size() - 1 - i % 2);
      long c0 = threads.getCurrentThreadCpuTime();
      long t0 = System.nanoTime();
      after = planner.replan(before, survivors);
      double ms = (System.nanoTime() - t0) / 1e6;
      double cpu = (threads.getCurrentThreadCpuTime() - c0) / 1e6;
      if (i == 0) {
        first = ms;
      }
      best = Math.min(best, ms);
      bestCpu = Math.min(bestCpu, cpu);
    }
    out.printf(Locale.ROOT, "replan 63 of 64 devices, 96 layers (93 blocks + embed, ln_f, head): first %.1f ms, best %.1f ms"
        + " (cpu %.1f ms), %d scored%n", first, best, bestCpu, after.evaluated());
    out.println("  before: " + describe(before));
    out.println("  after:  " + describe(after));
    out.flush();
  }

  private void hybrid(PrintWriter out, int n) {
    GptShape shape = new GptShape(32, 4096, 32, 2048, 50257);
    ModelProfile profile = AnalyticProfiler.gpuDefault().profile(shape, 1);
    ClusterSpec cluster = new ClusterSpec(ClusterSpec.uniform(n, Bytes.parse("40GiB")).devices(), 25e9, 0.01);
    PlanRequest r = PlanRequest.of(profile, cluster, 128);
    out.printf(Locale.ROOT, "hybrid grid search, %d devices: %s (%.2f B parameters), 40 GiB each, link 25 GB/s"
        + " 0.01 ms, global batch 128, %s%n", n, shape, shape.parameters() / 1e9, AnalyticProfiler.gpuDefault().describe());
    Plan best = null;
    Plan oneF = null;
    try {
      best = new Planner().plan(r);
      oneF = new Planner().plan(r.withSchedules(List.of("1f1b")));
    } catch (NoFeasiblePlanException e) {
      out.println("  " + e.getMessage());
      return;
    }
    out.println("  best:      " + describe(best));
    out.println("  1f1b only: " + describe(oneF));
    out.printf(Locale.ROOT, "  throughput gain of the best plan over the best 1F1B plan: %+.1f%%%n",
        100 * (oneF.stepTimeMs() / best.stepTimeMs() - 1));
  }

  private Timing time(Supplier<Plan> planning) {
    double first = 0;
    double best = Double.POSITIVE_INFINITY;
    double bestCpu = Double.POSITIVE_INFINITY;
    Plan plan = null;
    for (int i = 0; i < repeat; i++) {
      long c0 = threads.getCurrentThreadCpuTime();
      long t0 = System.nanoTime();
      plan = planning.get();
      double ms = (System.nanoTime() - t0) / 1e6;
      double cpu = (threads.getCurrentThreadCpuTime() - c0) / 1e6;
      if (i == 0) {
        first = ms;
      }
      best = Math.min(best, ms);
      bestCpu = Math.min(bestCpu, cpu);
    }
    return new Timing(first, best, bestCpu, plan);
  }

  static String describe(Plan p) {
    long peak = p.peakBytesPerDevice().stream().mapToLong(Long::longValue).max().orElse(0);
    return String.format(Locale.ROOT, "%s depth %d x dp %d, microbatch %d x %d%s, step %.1f ms, bubble %.1f%%, peak %s",
        p.schedule(), p.pipelineDepth(), p.dataParallel(), p.microbatchSize(), p.microbatches(),
        p.anyRecompute() ? ", recompute " + p.recompute().stream().filter(b -> b).count() + "/" + p.recompute().size()
            : "", p.stepTimeMs(), 100 * p.bubble(), Bytes.format(peak));
  }
}
