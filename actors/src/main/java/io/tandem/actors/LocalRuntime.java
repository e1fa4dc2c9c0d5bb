package io.tandem.actors;

import io.tandem.actors.worker.ComputeProvider;
import io.tandem.actors.coordinator.Coordinator;
import io.tandem.actors.worker.DeviceCompute;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A bare coordinator harness: runs a {@link JobConfig} (an already generated schedule, possibly
 * with custom op costs that no job spec can express) over {@link ComputeProvider} devices on a
 * local actor system, without job master, node agents or recovery. It is not how jobs run:
 * {@code tandem train} and {@code Tandem.local} use {@link io.tandem.actors.cluster.InJvmRuntime}.
 * Benchmarks of hand-made schedules ({@code bench runtime --mode embedded}) and tests (as the
 * reference run) use this. Blocks the calling (non-actor) thread until the job ends.
 */
public final class LocalRuntime {
  private LocalRuntime() {}

  /**
   * Runs {@code job} and returns its terminal event ({@link JobEvent.JobSucceeded} or
   * {@link JobEvent.JobFailed}); every event, terminal ones included, also goes to
   * {@code onEvent} (called on an actor thread: keep it short).
   */
  public static JobEvent run(JobConfig job, ComputeProvider provider, Consumer<JobEvent> onEvent) {
    return run(job, 1, provider, onEvent);
  }

  /**
   * Runs {@code job} on {@code replicas} data-parallel replicas of its schedule's pipeline
   * ({@code replicas} x the schedule's devices in all; see {@link Coordinator}).
   */
  public static JobEvent run(JobConfig job, int replicas, ComputeProvider provider, Consumer<JobEvent> onEvent) {
    List<DeviceCompute> devices = new ArrayList<>();
    try {
      for (int d = 0; d < replicas * job.schedule().devices(); d++) {
        devices.add(provider.open(d, job.schedule()));
      }
    } catch (RuntimeException e) {
      devices.forEach(DeviceCompute::close);
      throw e;
    }
    CompletableFuture<JobEvent> result = new CompletableFuture<>();
    Behavior<JobEvent> root = Behaviors.setup(ctx -> {
      ctx.spawn(Coordinator.create(job, devices, ctx.getSelf()), "coordinator");
      return Behaviors.receive(JobEvent.class)
          .onAnyMessage(event -> {
            onEvent.accept(event);
            if (!event.terminal()) {
              return Behaviors.same();
            }
            result.complete(event);
            return Behaviors.stopped();
          })
          .build();
    });
    ActorSystem<JobEvent> system = ActorSystem.create(root, systemName(job.jobId()), config());
    try {
      // the coordinator fails the job itself on a step timeout; this is only a backstop
      Duration limit = job.stepTimeout().multipliedBy(job.steps() + 2);
      return result.get(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      return new JobEvent.JobFailed("job " + job.jobId() + " did not finish within " + job.stepTimeout()
          .multipliedBy(job.steps() + 2).toSeconds() + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new JobEvent.JobFailed("interrupted");
    } catch (ExecutionException e) {
      return new JobEvent.JobFailed(String.valueOf(e.getCause()));
    } finally {
      system.terminate();
      try {
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException e) {
        // best effort
      }
    }
  }

  private static Config config() {
    return ConfigFactory.parseString("pekko.actor.provider = local\npekko.coordinated-shutdown.exit-jvm = off")
        .withFallback(ConfigFactory.load());
  }

  private static String systemName(String jobId) {
    return "tandem-" + jobId.replaceAll("[^A-Za-z0-9_-]", "-");
  }
}
