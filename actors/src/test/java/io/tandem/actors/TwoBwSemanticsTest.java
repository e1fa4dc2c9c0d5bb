package io.tandem.actors;

import io.tandem.actors.checkpoint.SavedModel;
import io.tandem.actors.worker.ModelComputeProvider;
import io.tandem.actors.worker.Partition;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.kernels.CpuBackend;
import io.tandem.model.Layer;
import io.tandem.model.Microbatch;
import io.tandem.model.Model;
import io.tandem.model.Parameter;
import io.tandem.model.Presets;
import io.tandem.model.Tensor;
import io.tandem.model.data.Dataset;
import io.tandem.model.data.TokenBatch;
import io.tandem.model.optim.AdamW;
import io.tandem.model.optim.GradientReduction;
import io.tandem.model.optim.LearningRate;
import io.tandem.proto.JobSpec;
import io.tandem.schedule.Op;
import io.tandem.schedule.OpKind;
import io.tandem.schedule.Schedule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * PipeDream-2BW on the runtime (two weight buffers, updates inside the window, no flush) against
 * a straightforward sequential implementation of its weight-version semantics: every version of
 * every stage kept explicitly, microbatches run one after another through the whole model, each
 * stage's forward and backward on the version the schedule tags, stage {@code s} updated after
 * every {@code p}-th backward from its newest version.
 */
class TwoBwSemanticsTest {
  static final int DEVICES = 2;
  static final int MICROBATCHES = 4;
  static final int MICROBATCH_SIZE = 2;
  static final int STEPS = 2;
  static final long SEED = 11;
  static final float LR = 0.003f;

  @Test
  void runtime2bw_matchesSequentialVersionSemantics() {
    JobSpec spec = JobSpec.newBuilder().setJobId("twobw").setBackend("cpu").setModel("gpt-tiny")
        .setSchedule("2bw").setDevices(DEVICES).setMicrobatches(MICROBATCHES).setMicrobatchSize(MICROBATCH_SIZE)
        .setSteps(STEPS).setSeed(SEED).setLearningRate(LR).setDataset("corpus").setOptimizer("adamw").build();
    Schedule schedule = JobFactory.schedule(spec);
    assertTrue(schedule.weightVersions().values().stream().anyMatch(v -> v > 0), "2bw must tag newer versions");
    JobEvent end = LocalRuntime.run(new JobConfig("twobw", schedule, STEPS, 0, Duration.ofSeconds(60)),
        JobFactory.provider(spec, schedule), e -> { });
    String runtime = assertInstanceOf(JobEvent.JobSucceeded.class, end, end.toString()).weightsSha256();

    String sequential = sequentialReference(schedule);
    assertEquals(sequential, runtime);
    assertNotEquals(flushReference(), runtime, "2bw must differ from flush training (delayed updates)");
  }

  /**
   * PipeDream-2BW with 2 data-parallel replicas (each a 2-device pipeline of 4 microbatches):
   * every update sums the replicas' update-group gradients in replica order, so the replicas
   * stay identical (the coordinator fails a job whose replicas differ at the end) and the
   * weights are those of the sequential semantics with that reduction.
   */
  @Test
  void runtime2bw_twoReplicas_matchSequentialVersionSemanticsWithTheReplicaSum() {
    JobSpec spec = JobSpec.newBuilder().setJobId("twobw-dp").setBackend("cpu").setModel("gpt-tiny")
        .setSchedule("2bw").setDevices(2 * DEVICES).setDataParallel(2).setMicrobatches(2 * MICROBATCHES)
        .setMicrobatchSize(MICROBATCH_SIZE).setSteps(STEPS).setSeed(SEED).setLearningRate(LR).setDataset("corpus")
        .setOptimizer("adamw").build();
    JobSpecs.check(spec);
    Schedule schedule = JobFactory.schedule(spec);
    assertEquals(DEVICES, schedule.devices(), "one replica's pipeline");
    JobEvent end = LocalRuntime.run(new JobConfig("twobw-dp", schedule, STEPS, 0, Duration.ofSeconds(60)), 2,
        JobFactory.provider(spec, schedule), e -> { });
    String runtime = assertInstanceOf(JobEvent.JobSucceeded.class, end, end.toString()).weightsSha256();
    assertEquals(sequentialReference(schedule, 2), runtime);
    assertNotEquals(sequentialReference(schedule, 1), runtime);
  }

  static String sequentialReference(Schedule schedule) {
    return sequentialReference(schedule, 1);
  }

  /**
   * Sequential 2BW: explicit version map per stage, microbatches in order, no pipelining. With
   * {@code replicas} > 1, replica r takes microbatches {@code r m + j} of each step ({@code m} the
   * schedule's), keeps its own gradients, and each update applies the sum over replicas in
   * replica order.
   */
  static String sequentialReference(Schedule schedule, int replicas) {
    int m = schedule.microbatches();
    try (CpuBackend backend = CpuBackend.create(1)) {
      Model model = Presets.GPT_TINY.build(backend, SEED);
      Partition partition = Partition.even(model.size(), DEVICES);
      Dataset data = ModelComputeProvider.dataset("corpus");
      List<Model> stages = new ArrayList<>();
      List<Map<Long, List<float[]>>> versions = new ArrayList<>();
      long[] updates = new long[DEVICES];
      int[] backwards = new int[DEVICES];
      float[][][] gradients = new float[DEVICES][replicas][]; // per stage and replica: its update group's sum
      for (int s = 0; s < DEVICES; s++) {
        Model stage = model.slice(partition.first(s), partition.end(s));
        stages.add(stage);
        Map<Long, List<float[]>> v = new HashMap<>();
        v.put(0L, snapshot(stage));
        versions.add(v);
      }
      AdamW adam = AdamW.defaults();
      LearningRate lr = LearningRate.constant(LR);
      for (long step = 0; step < STEPS; step++) {
        long[] base = updates.clone();
        for (int j = 0; j < m; j++) {
          for (int r = 0; r < replicas; r++) {
            int mb = r * m + j;
            TokenBatch tb = data.trainBatch(SEED, step + 1, mb, MICROBATCH_SIZE, Presets.GPT_TINY.seqLen());
            Microbatch batch = Microbatch.upload(backend, mb, tb, DEVICES * replicas);
            Tensor act = null;
            for (int s = 0; s < DEVICES; s++) {
              long version = base[s] + schedule.weightVersions().get(new Op(OpKind.F, j, s));
              load(stages.get(s), versions.get(s).get(version));
              Tensor next = stages.get(s).forward(batch, act);
              if (act != null) {
                act.release();
              }
              act = next;
            }
            act.release(); // the losses
            Tensor grad = null;
            for (int s = DEVICES - 1; s >= 0; s--) {
              long version = base[s] + schedule.weightVersions().get(new Op(OpKind.BW, j, s));
              load(stages.get(s), versions.get(s).get(version));
              List<Parameter> params = stages.get(s).parameters();
              if (gradients[s][r] != null) {
                GradientReduction.setGradients(params, gradients[s][r]);
              } else {
                stages.get(s).zeroGrad();
              }
              Tensor dx = stages.get(s).backward(batch, grad);
              gradients[s][r] = GradientReduction.gradients(params);
              if (grad != null) {
                grad.release();
              }
              grad = dx;
              if (r == replicas - 1 && ++backwards[s] == DEVICES) { // update group complete on this stage
                backwards[s] = 0;
                float[] sum = gradients[s][0];
                for (int q = 1; q < replicas; q++) {
                  GradientReduction.add(sum, gradients[s][q]);
                }
                gradients[s] = new float[replicas][];
                load(stages.get(s), versions.get(s).get(updates[s]));
                GradientReduction.setGradients(params, sum);
                updates[s]++;
                adam.step(params, updates[s], lr.at(updates[s]));
                stages.get(s).zeroGrad();
                versions.get(s).put(updates[s], snapshot(stages.get(s)));
              }
            }
            batch.free(backend);
          }
        }
      }
      for (int s = 0; s < DEVICES; s++) {
        load(stages.get(s), versions.get(s).get(updates[s]));
      }
      String sha = sha(model);
      model.layers().forEach(Layer::free);
      return sha;
    }
  }

  /** Ordinary flush training of the same job, to show 2bw is not that. */
  static String flushReference() {
    JobSpec spec = JobSpec.newBuilder().setJobId("flush").setBackend("cpu").setModel("gpt-tiny")
        .setSchedule("1f1b").setDevices(DEVICES).setMicrobatches(MICROBATCHES).setMicrobatchSize(MICROBATCH_SIZE)
        .setSteps(STEPS).setSeed(SEED).setLearningRate(LR).setDataset("corpus").setOptimizer("adamw").build();
    Schedule schedule = JobFactory.schedule(spec);
    JobEvent end = LocalRuntime.run(new JobConfig("flush", schedule, STEPS, 0, Duration.ofSeconds(60)),
        JobFactory.provider(spec, schedule), e -> { });
    return ((JobEvent.JobSucceeded) end).weightsSha256();
  }

  static List<float[]> snapshot(Model stage) {
    List<float[]> out = new ArrayList<>();
    for (Parameter p : stage.parameters()) {
      out.add(p.get());
    }
    return out;
  }

  static void load(Model stage, List<float[]> weights) {
    List<Parameter> ps = stage.parameters();
    for (int i = 0; i < ps.size(); i++) {
      ps.get(i).set(weights.get(i));
    }
  }

  static String sha(Model model) {
    return SavedModel.weightsSha256(model.layers());
  }
}
