package example;

import io.tandem.api.ConnectOptions;
import io.tandem.api.JobHandle;
import io.tandem.api.JobResult;
import io.tandem.api.JobSpec;
import io.tandem.api.LocalOptions;
import io.tandem.api.Model;
import io.tandem.api.Tandem;
import io.tandem.api.TandemClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * What a user's program does with Tandem: start an embedded runtime (or connect to a cluster's
 * admin API), submit a job, follow its progress, then load the trained model and sample from it.
 *
 * <pre>
 *   mvn -q exec:java                                   # embedded runtime in this JVM
 *   mvn -q exec:java -Dexec.args="127.0.0.1:2551 /shared/ckpt"   # join a running cluster through a seed
 * </pre>
 * On a cluster, the checkpoint directory must be one that both the workers and this program can read.
 */
public final class TrainAndSample {
  private TrainAndSample() {}

  public static void main(String[] args) throws Exception {
    Path checkpoints = args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("tandem-example");
    JobSpec spec = JobSpec.builder()
        .model("gpt-tiny").dataset("corpus")
        .devices(2).schedule("1f1b").microbatches(4).microbatchSize(2)
        .steps(6).seed(42)
        .checkpointing(checkpoints, 0) // the final step is always saved: the trained model
        .build();
    try (TandemClient tandem = args.length > 0
        ? Tandem.connect(ConnectOptions.of(args[0]))
        : Tandem.local(LocalOptions.defaults())) {
      JobHandle job = tandem.submit(spec);
      job.onStep(p -> System.out.printf(Locale.ROOT, "step %d/%d loss %.4f%n", p.step() + 1, p.totalSteps(), p.loss()));
      job.onRecovery(r -> System.out.println("recovered: " + r));
      JobResult result = job.await(Duration.ofMinutes(10));
      if (!result.succeeded()) {
        System.err.println("job " + result.jobId() + " ended " + result.status() + ": " + result.message());
        System.exit(1);
      }
      System.out.println("final step=" + result.stepsCompleted() + " weights-sha256=" + result.weightsSha256());
      try (Model model = Model.load(result.checkpoint().orElseThrow())) {
        if (!model.weightsSha256().equals(result.weightsSha256())) {
          throw new IllegalStateException("the loaded model is not the trained one");
        }
        System.out.println("model " + model.name() + ", " + model.parameterCount() + " parameters, step " + model.step());
        System.out.println("sample: " + model.generate("The ", 40, 1, 0.8, 0).replace('\n', ' '));
      }
    }
  }
}
