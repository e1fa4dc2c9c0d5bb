package io.tandem.api.example;

import io.tandem.api.JobHandle;
import io.tandem.api.JobResult;
import io.tandem.api.JobSpec;
import io.tandem.api.LocalOptions;
import io.tandem.api.Tandem;
import io.tandem.api.TandemClient;
import java.time.Duration;
import java.util.Locale;

/**
 * The README's example: trains gpt-tiny on 2 CPU devices of an embedded runtime with the
 * schedule the planner picks, printing every step. Run it with
 * {@code mvn -pl api test-compile exec:java -Dexec.mainClass=io.tandem.api.example.QuickStart -Dexec.classpathScope=test}.
 */
public final class QuickStart {
  private QuickStart() {}

  public static void main(String[] args) throws Exception {
    JobResult result = run(args.length > 0 ? Integer.parseInt(args[0]) : 10);
    System.out.println(result);
  }

  /** Trains for {@code steps} steps and returns how the job ended. */
  public static JobResult run(int steps) throws Exception {
    JobSpec spec = JobSpec.builder()
        .model("gpt-tiny").dataset("corpus")
        .devices(2).microbatches(4).microbatchSize(2)
        .plannerChooses()
        .optimizer("adamw").learningRate(3e-3).steps(steps).seed(42)
        .build();
    try (TandemClient tandem = Tandem.local(LocalOptions.defaults())) {
      JobHandle job = tandem.submit(spec);
      job.onStep(p -> System.out.printf(Locale.ROOT, "step %d/%d loss %.4f %.0f tok/s%n",
          p.step() + 1, p.totalSteps(), p.loss(), p.tokensPerSecond()));
      return job.await(Duration.ofMinutes(10));
    }
  }
}
