package io.tandem.actors.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.tandem.actors.JobConfig;
import io.tandem.actors.JobEvent;
import io.tandem.actors.JobFactory;
import io.tandem.actors.LocalRuntime;
import io.tandem.actors.worker.ComputeProvider;
import io.tandem.actors.worker.DeviceCompute;
import io.tandem.actors.worker.ForwardingStageCompute;
import io.tandem.actors.transport.TensorTransport;
import io.tandem.proto.JobSpec;
import io.tandem.schedule.Schedule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 14 item 7: a data-parallel replica stops answering mid-step (one of its devices hangs,
 * as a killed worker would); told that replica is lost, the coordinator has the other replica
 * run the lost replica's microbatches of that step after its own, and the step completes on it
 * alone with bitwise the weights and loss of the uninterrupted run, whichever replica was lost.
 */
class ReroutedStepTest {
  private static final int STEPS = 4;
  private static final long LOST_AT = 2;

  static JobSpec spec(int replicas) {
    return JobSpec.newBuilder().setJobId("reroute").setBackend("cpu").setModel("gpt-tiny").setSchedule("1f1b")
        .setDevices(2 * replicas).setDataParallel(replicas).setMicrobatches(2 * replicas).setMicrobatchSize(1)
        .setSteps(STEPS).setSeed(29)
        .setLearningRate(0.003).setClipNorm(1.0).setDataset("corpus").setOptimizer("adamw").build();
  }

  /** Each device's layer digests after each step's update; {@code hangDevice} hangs in step {@link #LOST_AT}. */
  static final class Recording implements ComputeProvider {
    final ComputeProvider real;
    final int hangDevice;
    /** Where the device hangs: in its first forward, its gradients' download (all its outputs sent) or its update. */
    final Hang where;
    /** Counted down when device 0 reports step {@link #LOST_AT} (reads its gradient norms). */
    final CountDownLatch deviceZeroReported = new CountDownLatch(1);
    /** Counted down when device 0 loads the all-reduced gradients of virtual stage 3 in step {@link #LOST_AT}. */
    final CountDownLatch deviceZeroLoadedStageThree = new CountDownLatch(1);
    /** {@link Hang#LAST_BACKWARD}: the device's B's of virtual stage 1 in a step. */
    final int backwardsPerStep;
    final Map<String, SortedMap<Integer, byte[]>> digests = new ConcurrentHashMap<>();
    final CountDownLatch stuck = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    Recording(ComputeProvider real, int hangDevice) {
      this(real, hangDevice, Hang.FORWARD);
    }

    Recording(ComputeProvider real, int hangDevice, Hang where) {
      this(real, hangDevice, where, 0);
    }

    Recording(ComputeProvider real, int hangDevice, Hang where, int backwardsPerStep) {
      this.backwardsPerStep = backwardsPerStep;
      this.real = real;
      this.hangDevice = hangDevice;
      this.where = where;
    }

    void hang(int device) {
      stuck.countDown();
      try {
        release.await(60, TimeUnit.SECONDS); // a device that stopped answering
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException("device " + device + " was lost");
    }

    @Override
    public DeviceCompute open(int device, Schedule schedule) {
      DeviceCompute d = real.open(device, schedule);
      return new DeviceCompute(new ForwardingStageCompute(d.compute()) {
        private volatile long step;
        private final java.util.concurrent.atomic.AtomicInteger stageOneBackwards =
            new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public io.tandem.actors.transport.HostTensor forward(long step, int mb, int v, int version,
            io.tandem.actors.transport.HostTensor input) {
          this.step = step;
          if (device == hangDevice && step == LOST_AT && where == Hang.FORWARD) {
            hang(device);
          }
          return c.forward(step, mb, v, version, input);
        }

        @Override
        public io.tandem.actors.transport.HostTensor backwardInput(long step, int mb, int v, int version,
            io.tandem.actors.transport.HostTensor gradOutput) {
          if (device == hangDevice && step == LOST_AT && where == Hang.LAST_BACKWARD && v == 1
              && stageOneBackwards.incrementAndGet() == backwardsPerStep) {
            hang(device);
          }
          return c.backwardInput(step, mb, v, version, gradOutput);
        }

        @Override
        public void setStageGradients(int v, float[][] reduced) {
          c.setStageGradients(v, reduced);
          if (device == 0 && step == LOST_AT && v == 3) {
            deviceZeroLoadedStageThree.countDown();
          }
        }

        @Override
        public float[] stageGradients(int v) {
          if (device == hangDevice && step == LOST_AT && where == Hang.GRADIENTS) {
            hang(device);
          }
          return c.stageGradients(v);
        }

        @Override
        public SortedMap<Integer, Double> gradientSumSquares() {
          SortedMap<Integer, Double> out = c.gradientSumSquares();
          if (device == 0 && step == LOST_AT) {
            deviceZeroReported.countDown();
          }
          return out;
        }

        @Override
        public void applyUpdate(long step, double gradScale) {
          if (device == hangDevice && step == LOST_AT && where == Hang.UPDATE) {
            hang(device);
          }
          c.applyUpdate(step, gradScale);
          digests.put(device + "@" + step, c.layerDigests());
        }
      }, d.executor());
    }

    @Override
    public long tokensPerStep() {
      return real.tokensPerStep();
    }
  }

  /**
   * {@code replicas} replicas of 2 stages, the replicas named by {@code lost} gone: one replica
   * left sums the groups itself, several go on with the all-reduce among them.
   */
  @ParameterizedTest(name = "{0} replicas, replicas {1} lost")
  @CsvSource({"2, 1", "2, 0", "3, 0 1", "3, 1", "3, 0", "4, 1 2"})
  void theIntactReplicasFinishTheStep_withTheUninterruptedWeights(int replicas, String lost) throws Exception {
    List<Integer> lostReplicas = Arrays.stream(lost.split(" ")).map(Integer::parseInt).toList();
    List<Integer> intact = java.util.stream.IntStream.range(0, replicas).filter(r -> !lostReplicas.contains(r))
        .boxed().toList();
    int helper = intact.get(0);
    JobSpec spec = spec(replicas);
    int p = JobFactory.schedule(spec).devices();
    List<JobEvent> refEvents = new CopyOnWriteArrayList<>();
    Recording uninterrupted = uninterrupted(spec, replicas, refEvents);

    int lostReplica = lostReplicas.get(0);
    Lossy run = runLosing(spec, replicas, lostReplicas, lostReplica * p + p - 1);
    List<JobEvent> events = run.events();
    String log = events.stream().filter(e -> e instanceof JobEvent.Progress).map(Object::toString).toList().toString();
    assertTrue(events.stream().noneMatch(JobEvent::terminal), "no failure: " + events);
    java.util.StringJoiner ranges = new java.util.StringJoiner(", ");
    lostReplicas.forEach(b -> ranges.add("[" + b * 2 + ", " + (b * 2 + 2) + ")"));
    if (intact.size() == 1) {
      assertTrue(log.contains("rerouting, message=step " + LOST_AT + ": replicas " + lostReplicas + " are gone; replica "
          + helper + " also runs microbatches " + ranges + " of replica(s) " + lostReplicas
          + " after its own and sums the reduction groups in order"), log);
      assertTrue(log.contains("rerouted, message=step " + LOST_AT + " completed on replica " + helper + " alone"), log);
    } else {
      assertTrue(log.contains("the all-reduce among replicas " + intact + " sums them in group order"), log);
      assertTrue(log.contains("rerouted, message=step " + LOST_AT + " completed on replicas " + intact), log);
    }
    assertSameWeights(uninterrupted, run.recording(), intact, p);
    assertEquals(loss(refEvents, LOST_AT), loss(events, LOST_AT), "the step's loss, every microbatch counted");
  }

  /**
   * Where a lost device stops answering: in its first forward, its gradients' download (all its
   * outputs sent), its update, or its last B of virtual stage 1.
   */
  enum Hang { FORWARD, GRADIENTS, UPDATE, LAST_BACKWARD }

  /**
   * V-shape (v-half, {@code replicas} replicas of 2 devices, 4 virtual stages, the last replica
   * lost): its second device stops at its last B of virtual stage 1, after its first device
   * finished virtual stage 3, whose all-reduce completes; the intact first device 0 then holds
   * stage 3's reduced gradients and not stage 0's. It keeps stage 3's and only passes the lost
   * microbatches through it (no W, no part sent again). With one replica left it runs them fully
   * through stage 0 and sums stage 0's groups in order; with two left (replica 1's device 0 may
   * have stage 3 reduced too, or not yet) stage 0 goes through the rerouted all-reduce and the
   * lost owner's slice of stage 3 comes from the loaded gradients of an intact device that has
   * it. Either way the step ends with the uninterrupted weights and loss.
   */
  @ParameterizedTest(name = "{0} replicas")
  @CsvSource({"2, replica 0 alone", "3, replicas [0, 1]"})
  void aDevicePartlyReduced_keepsTheReducedStage_andFinishesTheStep(int replicas, String completedOn)
      throws Exception {
    JobSpec spec = spec(replicas).toBuilder().setSchedule("v-half").setMicrobatches(4 * replicas).build();
    Schedule schedule = JobFactory.schedule(spec);
    int p = schedule.devices();
    assertEquals(2, p);
    List<JobEvent> refEvents = new CopyOnWriteArrayList<>();
    Recording uninterrupted = uninterrupted(spec, replicas, refEvents);
    Recording lossy = new Recording(JobFactory.provider(spec, schedule), replicas * p - 1, Hang.LAST_BACKWARD, 4);
    Lossy run = runLosing(spec, replicas, List.of(replicas - 1), lossy, lossy.deviceZeroLoadedStageThree);
    String log = run.events().toString();
    assertTrue(log.contains("rerouted, message=step " + LOST_AT + " completed on " + completedOn), log);
    List<Integer> intact = java.util.stream.IntStream.range(0, replicas - 1).boxed().toList();
    assertSameWeights(uninterrupted, run.recording(), intact, p);
    assertEquals(loss(refEvents, LOST_AT), loss(run.events(), LOST_AT), "the step's loss, every microbatch counted");
  }

  /**
   * The case in between, with two replicas left: the lost owner's reduced slice of virtual stage 3
   * reached replica 0's device 0 but not replica 1's (its frames to replica 1 are dropped here, as
   * a dead node's last frames can be), so device 0 has the stage reduced and replica 1's device 0
   * does not. Device 0 sends the lost slice again from its loaded gradients; without that, replica
   * 1 would wait for it for ever. The step ends with the uninterrupted weights and loss.
   */
  @org.junit.jupiter.api.Test
  void oneIntactDeviceReducedAndTheOtherNot_theReducedOneSendsTheLostSlice() throws Exception {
    JobSpec spec = spec(3).toBuilder().setSchedule("v-half").setMicrobatches(12).build();
    Schedule schedule = JobFactory.schedule(spec);
    int p = schedule.devices();
    List<JobEvent> refEvents = new CopyOnWriteArrayList<>();
    Recording uninterrupted = uninterrupted(spec, 3, refEvents);
    Recording lossy = new Recording(JobFactory.provider(spec, schedule), 3 * p - 1, Hang.LAST_BACKWARD, 4);
    java.util.concurrent.atomic.AtomicBoolean dropping = new java.util.concurrent.atomic.AtomicBoolean(true);
    java.util.concurrent.atomic.AtomicInteger dropped = new java.util.concurrent.atomic.AtomicInteger();
    TensorTransport lossyLinks = withPacedSends((local, owner, tensor) -> {
      io.tandem.proto.TensorFrameHeader h = tensor.header();
      if (dropping.get() && h.getReducedSlice() && h.getFromReplica() == 2 && h.getReplica() == 1
          && h.getStep() == LOST_AT && h.getTargetStage() == 3) {
        dropped.incrementAndGet();
        return CompletableFuture.completedFuture(null); // lost with its node
      }
      return local.sendPaced(owner, tensor);
    });
    Lossy run = runLosing(spec, 3, List.of(2), lossy, lossy.deviceZeroLoadedStageThree, lossyLinks,
        () -> dropping.set(false));
    assertTrue(dropped.get() > 0, "the lost owner's slice of stage 3 to replica 1 was dropped");
    String log = run.events().toString();
    assertTrue(log.contains("rerouted, message=step " + LOST_AT + " completed on replicas [0, 1]"), log);
    assertSameWeights(uninterrupted, run.recording(), List.of(0, 1), p);
    assertEquals(loss(refEvents, LOST_AT), loss(run.events(), LOST_AT), "the step's loss, every microbatch counted");
  }

  /**
   * An intact replica's slices for the lost owner were still under way when the reroute came, and
   * their sends fail after it (a dead node's connection breaks late): those slices go to the
   * lost group's host instead, so the failures are dropped and the step completes rerouted.
   */
  @org.junit.jupiter.api.Test
  void slicesForTheLostOwnerThatFailAfterTheReroute_doNotFailTheStep() throws Exception {
    JobSpec spec = spec(3);
    int p = JobFactory.schedule(spec).devices();
    Recording uninterrupted = uninterrupted(spec, 3, new ArrayList<>());
    List<CompletableFuture<Void>> held = new CopyOnWriteArrayList<>();
    CountDownLatch someHeld = new CountDownLatch(1);
    TensorTransport lateBreaks = withPacedSends((local, owner, tensor) -> {
      io.tandem.proto.TensorFrameHeader h = tensor.header();
      if (h.getStep() == LOST_AT && h.getReplica() == 2 && h.getFromReplica() != 2) {
        CompletableFuture<Void> sending = new CompletableFuture<>(); // to the lost node: never written
        held.add(sending);
        someHeld.countDown();
        return sending;
      }
      if (h.getStep() == LOST_AT && h.getHostedGroup() != 0) { // the reroute is under way: the link breaks now
        held.forEach(f -> f.completeExceptionally(new java.io.IOException("Broken pipe")));
      }
      return local.sendPaced(owner, tensor);
    });
    Recording lossy = new Recording(JobFactory.provider(spec, JobFactory.schedule(spec)), 2 * p + p - 1);
    Lossy run = runLosing(spec, 3, List.of(2), lossy, someHeld, lateBreaks, () -> { });
    assertTrue(held.stream().anyMatch(CompletableFuture::isCompletedExceptionally), "a slice's send to the lost"
        + " owner failed after the reroute");
    String log = run.events().toString();
    assertTrue(log.contains("rerouted, message=step " + LOST_AT + " completed on replicas [0, 1]"), log);
    assertSameWeights(uninterrupted, run.recording(), List.of(0, 1), p);
  }

  /** A replica lost during the optimizer update: the intact replicas' updates complete the step. */
  @org.junit.jupiter.api.Test
  void aReplicaLostDuringTheUpdate_theIntactUpdatesCompleteTheStep() throws Exception {
    JobSpec spec = spec(2);
    Schedule schedule = JobFactory.schedule(spec);
    int p = schedule.devices();
    Recording uninterrupted = uninterrupted(spec, 2, new ArrayList<>());
    Lossy run = runLosing(spec, 2, List.of(1), new Recording(JobFactory.provider(spec, schedule), p, Hang.UPDATE));
    String log = run.events().toString();
    assertTrue(log.contains("its gradients were all reduced, so the updates of replicas [0] complete it"), log);
    assertTrue(log.contains("rerouted, message=step " + LOST_AT + " completed on replica 0 alone"), log);
    assertSameWeights(uninterrupted, run.recording(), List.of(0), p);
  }

  /** The uninterrupted run of {@code spec} on {@code replicas} replicas (its events into {@code events}). */
  private static Recording uninterrupted(JobSpec spec, int replicas, List<JobEvent> events) {
    Schedule schedule = JobFactory.schedule(spec);
    Recording run = new Recording(JobFactory.provider(spec, schedule), -1);
    JobEvent end = LocalRuntime.run(new JobConfig("reroute", schedule, STEPS, spec.getClipNorm(),
        Duration.ofSeconds(60)), replicas, run, events::add);
    assertInstanceOf(JobEvent.JobSucceeded.class, end, end.toString());
    return run;
  }

  /** The intact replicas' devices hold, after the rerouted step, the weights of the uninterrupted run. */
  private static void assertSameWeights(Recording want, Recording got, List<Integer> intact, int p) {
    for (int q : intact) {
      for (int d = q * p; d < (q + 1) * p; d++) {
        SortedMap<Integer, byte[]> g = got.digests.get(d + "@" + LOST_AT);
        SortedMap<Integer, byte[]> w = want.digests.get(d + "@" + LOST_AT);
        assertNotNull(g, "device " + d + " applied step " + LOST_AT);
        assertEquals(w.keySet(), g.keySet());
        for (int layer : w.keySet()) {
          assertTrue(Arrays.equals(w.get(layer), g.get(layer)), "device " + d + " layer " + layer
              + " after the rerouted step");
        }
      }
    }
  }

  /** With no replica left intact the step cannot be rerouted: the attempt fails saying why (the job re-plans). */
  @org.junit.jupiter.api.Test
  void noIntactReplica_failsTheAttemptSayingWhy() throws Exception {
    JobSpec spec = spec(2);
    int p = JobFactory.schedule(spec).devices();
    List<JobEvent> events = runLosing(spec, 2, List.of(0, 1), p - 1).events();
    JobEvent.JobFailed failed = assertInstanceOf(JobEvent.JobFailed.class, events.get(events.size() - 1),
        events.toString());
    assertTrue(failed.message().contains("its microbatches cannot be rerouted (no replica is left intact)"),
        failed.message());
  }

  /** The all-reduce's paced sends of a worker, given the local transport to pass a frame on. */
  @FunctionalInterface
  interface PacedSends {
    java.util.concurrent.CompletionStage<Void> send(TensorTransport local,
        ActorRef<io.tandem.actors.worker.StageWorker.Command> owner, io.tandem.actors.worker.StageWorker.TensorArrived tensor);
  }

  /** The in-JVM transport, its paced sends through {@code paced}. */
  private static TensorTransport withPacedSends(PacedSends paced) {
    TensorTransport local = TensorTransport.local();
    return new TensorTransport() {
      @Override
      public java.util.concurrent.CompletionStage<Void> send(ActorRef<io.tandem.actors.worker.StageWorker.Command> owner,
          io.tandem.actors.worker.StageWorker.TensorArrived tensor) {
        return local.send(owner, tensor);
      }

      @Override
      public java.util.concurrent.CompletionStage<Void> sendPaced(
          ActorRef<io.tandem.actors.worker.StageWorker.Command> owner,
          io.tandem.actors.worker.StageWorker.TensorArrived tensor) {
        return paced.send(local, owner, tensor);
      }

      @Override
      public void openLane(ActorRef<io.tandem.actors.worker.StageWorker.Command> worker,
          java.util.function.Consumer<io.tandem.actors.worker.StageWorker.TensorArrived> lane) {
        local.openLane(worker, lane);
      }

      @Override
      public void closeLane(ActorRef<io.tandem.actors.worker.StageWorker.Command> worker) {
        local.closeLane(worker);
      }
    };
  }

  /** What a run with a lost replica saw: its events up to {@code rerouted} (or the end), its devices' digests. */
  record Lossy(List<JobEvent> events, Recording recording) {}

  /** Runs {@code spec} until device {@code hang} hangs in step {@link #LOST_AT}, then reroutes {@code lostReplicas}. */
  private static Lossy runLosing(JobSpec spec, int replicas, List<Integer> lostReplicas, int hang)
      throws Exception {
    return runLosing(spec, replicas, lostReplicas, new Recording(JobFactory.provider(spec, JobFactory.schedule(spec)),
        hang));
  }

  private static Lossy runLosing(JobSpec spec, int replicas, List<Integer> lostReplicas, Recording lossy)
      throws Exception {
    return runLosing(spec, replicas, lostReplicas, lossy, new CountDownLatch(0));
  }

  /** ... once {@code also} is counted down too. */
  private static Lossy runLosing(JobSpec spec, int replicas, List<Integer> lostReplicas, Recording lossy,
      CountDownLatch also) throws Exception {
    return runLosing(spec, replicas, lostReplicas, lossy, also, TensorTransport.local(), () -> { });
  }

  /** ... the workers' tensors through {@code transport}; {@code beforeReroute} runs just before the reroute. */
  private static Lossy runLosing(JobSpec spec, int replicas, List<Integer> lostReplicas, Recording lossy,
      CountDownLatch also, TensorTransport transport, Runnable beforeReroute) throws Exception {
    Schedule schedule = JobFactory.schedule(spec);
    int p = schedule.devices();
    JobConfig job = new JobConfig("reroute", schedule, STEPS, spec.getClipNorm(), Duration.ofSeconds(60));
    List<JobEvent> seen = new CopyOnWriteArrayList<>();
    List<JobEvent> events = seen;
    CompletableFuture<ActorRef<Coordinator.Command>> coordinator = new CompletableFuture<>();
    CompletableFuture<Void> rerouted = new CompletableFuture<>();
    List<DeviceCompute> devices = new ArrayList<>();
    for (int d = 0; d < replicas * p; d++) {
      devices.add(lossy.open(d, schedule));
    }
    ActorSystem<JobEvent> system = ActorSystem.create(Behaviors.setup(ctx -> {
      coordinator.complete(ctx.spawn(Coordinator.create(job, devices, ctx.getSelf(), transport), "coordinator"));
      return Behaviors.receiveMessage(e -> {
        seen.add(e);
        if (e instanceof JobEvent.Progress pr && pr.kind().equals("rerouted") || e.terminal()) {
          rerouted.complete(null);
        }
        return Behaviors.same();
      });
    }), "reroute-" + replicas + "-" + String.join("-", lostReplicas.stream().map(String::valueOf).toList()),
        ConfigFactory.parseString("pekko.actor.provider = local")
        .withFallback(ConfigFactory.load()));
    try {
      assertTrue(lossy.stuck.await(60, TimeUnit.SECONDS), "the lost replica's device hangs in step " + LOST_AT);
      assertTrue(also.await(60, TimeUnit.SECONDS), "the intact replica's first device reported step " + LOST_AT);
      Set<Integer> lostWorkers = new java.util.HashSet<>();
      lostReplicas.forEach(b -> java.util.stream.IntStream.range(b * p, (b + 1) * p).forEach(lostWorkers::add));
      beforeReroute.run();
      coordinator.get().tell(new Coordinator.Reroute(lostWorkers, "replicas " + lostReplicas + " are gone"));
      rerouted.get(60, TimeUnit.SECONDS);
      events = List.copyOf(events); // before the hung device is let go
    } finally {
      lossy.release.countDown();
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    return new Lossy(events, lossy);
  }

  private static double loss(List<JobEvent> events, long step) {
    return events.stream().filter(e -> e instanceof JobEvent.StepCompleted s && s.step() == step)
        .mapToDouble(e -> ((JobEvent.StepCompleted) e).loss()).findFirst().orElseThrow();
  }
}
