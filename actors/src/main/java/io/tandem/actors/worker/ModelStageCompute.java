package io.tandem.actors.worker;

import io.tandem.actors.blocking.DispatcherGuard;
import io.tandem.actors.coordinator.WeightsDigest;
import io.tandem.actors.transport.HostTensor;
import io.tandem.kernels.Backend;
import io.tandem.model.Layer;
import io.tandem.model.LayerState;
import io.tandem.model.Microbatch;
import io.tandem.model.Model;
import io.tandem.model.ModelSpec;
import io.tandem.model.Parameter;
import io.tandem.model.Tensor;
import io.tandem.model.data.Dataset;
import io.tandem.model.data.TokenBatch;
import io.tandem.model.optim.GradientClipping;
import io.tandem.model.optim.GradientReduction;
import io.tandem.model.optim.LearningRate;
import io.tandem.model.optim.Optimizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A device's virtual stages backed by real layers on a {@link Backend}. Runtime step {@code s}
 * is optimizer step {@code s + 1} and data step {@code s + 1}, exactly as the single-process
 * {@code Trainer} counts, so a pipelined run reproduces it bit for bit on the CPU backend.
 * Its methods run on the device's compute executor; those that synchronise with the device
 * check that they are not on a dispatcher ({@link DispatcherGuard}).
 *
 * <p>A recomputing virtual stage drops each layer's stash as soon as the layer has run in F and
 * keeps only the chunk's input; its B first runs F again from that input (same weights, same
 * data, so bitwise the same stash) and then goes on as without recomputation.
 */
public final class ModelStageCompute implements StageCompute {
  private final Backend backend;
  private final ModelSpec spec;
  private final Dataset data;
  private final long seed;
  private final int microbatches;
  private final int microbatchSize;
  private final Optimizer optimizer;
  private final LearningRate lr;
  private final Map<Integer, Model> chunks = new HashMap<>();
  private final Map<Integer, Microbatch> inFlight = new HashMap<>();
  private final Set<Long> stashed = new HashSet<>();
  /** Virtual stages of this device that recompute their activations. */
  private final Set<Integer> recomputing = new HashSet<>();
  /** Inputs kept by recomputing stages from F until B, by {@link #key}. */
  private final Map<Long, Tensor> kept = new HashMap<>();
  /** The most activation bytes held since {@link #peakActivationBytesSinceLastCall} last ran. */
  private long peakBytes;
  private final Map<Integer, Double> losses = new TreeMap<>();
  /** Non-null in PipeDream-2BW mode: updates inside the window, two weight versions. */
  private final DoubleBufferedWeights twoBw;
  private final int lossGroup;
  private long windowStep = -1;
  /** Microbatches per reduction group ({@link io.tandem.actors.JobSpecs#reductionGroups}). */
  private final int groupSize;
  /** Steps whose update was applied here (-1: none since opened); written on the compute thread. */
  private volatile long stepsApplied = -1;
  /** Per virtual stage: the reduction group its gradients accumulate now. */
  private final Map<Integer, Integer> groupOf = new HashMap<>();
  /** Per virtual stage: the sum, in group order, of its finished groups' gradients this step. */
  private final Map<Integer, float[]> finishedGroups = new HashMap<>();
  /** Per virtual stage, a rerouted step's groups set aside ({@link #holdGradients}), by group. */
  private final Map<Integer, SortedMap<Integer, float[]>> heldGroups = new TreeMap<>();

  /**
   * @param stages the virtual stages this device holds
   * @param partition layer ranges of every virtual stage
   * @param twoBwInterval 0 for flush schedules; for PipeDream-2BW, the backwards per weight update
   * @param recompute per virtual stage of the whole schedule, whether it recomputes its activations
   * @param reductionGroups the step's microbatches are summed in this many contiguous groups, then
   *     the groups in order (the data-parallel grouping; 1 = one sequential sum)
   */
  public ModelStageCompute(Backend backend, ModelSpec spec, Partition partition, List<Integer> stages,
      Dataset data, long seed, int microbatches, int microbatchSize, Optimizer optimizer, LearningRate lr,
      int twoBwInterval, List<Boolean> recompute, int reductionGroups) {
    if (reductionGroups < 1 || microbatches % reductionGroups != 0) {
      throw new IllegalArgumentException("microbatches " + microbatches + " do not split into " + reductionGroups
          + " reduction groups");
    }
    this.groupSize = microbatches / reductionGroups;
    this.backend = backend;
    this.spec = spec;
    this.data = data;
    this.seed = seed;
    this.microbatches = microbatches;
    this.microbatchSize = microbatchSize;
    this.optimizer = optimizer;
    this.lr = lr;
    if (recompute.size() != partition.stages()) {
      throw new IllegalArgumentException("recompute flags for " + recompute.size() + " virtual stages, the split has "
          + partition.stages());
    }
    for (int v : stages) {
      chunks.put(v, spec.build(backend, seed, partition.first(v), partition.end(v)));
      if (recompute.get(v)) {
        recomputing.add(v);
      }
    }
    if (twoBwInterval > 0) {
      if (microbatches % twoBwInterval != 0) {
        throw new IllegalArgumentException("2bw needs microbatches to be a multiple of the update interval "
            + twoBwInterval + " (the device count), got " + microbatches);
      }
      this.twoBw = new DoubleBufferedWeights(backend, parameters(), twoBwInterval, optimizer, lr);
      // an update's gradient is the mean over its group's microbatches in every replica
      this.lossGroup = twoBwInterval * reductionGroups;
    } else {
      this.twoBw = null;
      this.lossGroup = microbatches;
    }
  }

  private List<Parameter> parameters() {
    List<Parameter> params = new ArrayList<>();
    new TreeMap<>(chunks).values().forEach(m -> params.addAll(m.parameters()));
    return params;
  }

  private Model chunk(int v) {
    Model m = chunks.get(v);
    if (m == null) {
      throw new IllegalArgumentException("virtual stage " + v + " is not held here (holds " + chunks.keySet() + ")");
    }
    return m;
  }

  private Microbatch microbatch(long step, int mb) {
    return inFlight.computeIfAbsent(mb, id -> {
      TokenBatch batch = data.trainBatch(seed, step + 1, id, microbatchSize, spec.seqLen());
      return Microbatch.upload(backend, id, batch, lossGroup);
    });
  }

  private Tensor toDevice(HostTensor t, String what, int rows) {
    if (t.shape().length != 2 || t.shape()[0] != rows) {
      throw new IllegalArgumentException(what + ": expected " + rows + " rows, got shape " + t.shapeString());
    }
    return Tensor.of(backend, t.data(), t.shape()[0], t.shape()[1]);
  }

  private static HostTensor toHost(Tensor t) {
    HostTensor h = new HostTensor(new int[] {t.rows(), t.cols()}, t.toArray());
    t.release();
    return h;
  }

  @Override
  public HostTensor forward(long step, int mb, int v, int version, HostTensor input) {
    Model chunk = chunk(v);
    if (twoBw != null) {
      if (step != windowStep) {
        twoBw.beginWindow();
        windowStep = step;
      }
      twoBw.requireNewest(version, "F" + mb + "@" + v);
    }
    Microbatch batch = microbatch(step, mb);
    Tensor in = chunk.isFirst() ? null : toDevice(requireInput(input, "activation", mb, v), "activation of F" + mb + "@" + v, batch.rows());
    boolean recompute = recomputing.contains(v);
    Tensor out = recompute ? chunk.forwardWithoutStash(batch, in) : chunk.forward(batch, in);
    if (recompute && in != null) {
      kept.put(key(mb, v), in); // released after the stash is rebuilt in B
    } else if (in != null) {
      in.release();
    }
    stashed.add(key(mb, v));
    notePeak();
    if (chunk.isLast()) {
      // per step: the mean over the step's microbatches (2bw scales by its update group)
      double loss = Model.loss(out, batch) * lossGroup / microbatches;
      out.release();
      losses.put(mb, loss);
      return null;
    }
    return toHost(out);
  }

  @Override
  public HostTensor backwardInput(long step, int mb, int v, int version, HostTensor gradOutput) {
    Model chunk = chunk(v);
    Microbatch batch = microbatch(step, mb);
    Tensor g = chunk.isLast() ? null : toDevice(requireInput(gradOutput, "gradient", mb, v), "gradient of B" + mb + "@" + v, batch.rows());
    Tensor dx = twoBw == null ? backwardInput(chunk, batch, v, g)
        : twoBw.with(version, "B" + mb + "@" + v, () -> backwardInput(chunk, batch, v, g));
    if (g != null) {
      g.release();
    }
    return dx == null ? null : toHost(dx);
  }

  /** B of one chunk, after rebuilding its stash from the kept input when it recomputes. */
  private Tensor backwardInput(Model chunk, Microbatch batch, int v, Tensor gradOutput) {
    if (recomputing.contains(v)) {
      Tensor in = kept.remove(key(batch.id(), v));
      if (in == null && !chunk.isFirst()) {
        throw new IllegalStateException("B" + batch.id() + "@" + v + ": no input kept from F to recompute from");
      }
      chunk.forward(batch, in).release();
      if (in != null) {
        in.release(); // the first layer's stash holds it now
      }
      notePeak(); // the rebuilt stash: this chunk's most before its B
    }
    return chunk.backwardInput(batch, gradOutput);
  }

  @Override
  public void backwardWeight(long step, int mb, int v, int version) {
    if (twoBw == null) {
      enterGroup(v, mb / groupSize, mb);
    }
    chunk(v).backwardWeight(microbatch(step, mb));
    stashed.remove(key(mb, v));
    if (twoBw != null) {
      twoBw.afterBackward();
    }
  }

  /**
   * Before a W of reduction group {@code group} on virtual stage {@code v}: when the stage's
   * gradients so far belong to an earlier group, they are a finished group's sum; it is added,
   * in group order, to the stage's finished groups and the gradients start again from zero.
   */
  private void enterGroup(int v, int group, int mb) {
    Integer current = groupOf.put(v, group);
    if (current == null || current == group) {
      return;
    }
    if (group < current) {
      throw new IllegalStateException("W" + mb + "@" + v + " of reduction group " + group + " after a W of group "
          + current + ": a stage's W must run in microbatch order");
    }
    List<Parameter> params = chunk(v).parameters();
    float[] done = GradientReduction.gradients(params);
    chunk(v).zeroGrad();
    float[] sum = finishedGroups.get(v);
    if (sum == null) {
      finishedGroups.put(v, done);
    } else {
      GradientReduction.add(sum, done);
    }
  }

  /** Ends the step's grouping: each stage's gradients become its groups' sum in group order. */
  private void foldGroups() {
    for (int v : List.copyOf(finishedGroups.keySet())) {
      foldGroups(v);
    }
    groupOf.clear();
  }

  /** Ends stage {@code v}'s grouping of the step (its last W has run). */
  private void foldGroups(int v) {
    float[] sum = finishedGroups.remove(v);
    groupOf.remove(v);
    if (sum != null) {
      List<Parameter> params = chunk(v).parameters();
      GradientReduction.add(sum, GradientReduction.gradients(params));
      GradientReduction.setGradients(params, sum);
    }
  }

  private static HostTensor requireInput(HostTensor t, String what, int mb, int v) {
    if (t == null) {
      throw new IllegalArgumentException("no " + what + " for microbatch " + mb + " at virtual stage " + v);
    }
    return t;
  }

  @Override
  public int heldActivations() {
    return stashed.size();
  }

  @Override
  public long heldActivationBytes() {
    long bytes = 0;
    for (Model m : chunks.values()) {
      bytes += m.stashedBytes();
    }
    for (Tensor t : kept.values()) {
      bytes += t.bytes();
    }
    return bytes;
  }

  @Override
  public long peakActivationBytesSinceLastCall() {
    long now = heldActivationBytes();
    long peak = Math.max(peakBytes, now);
    peakBytes = now;
    return peak;
  }

  private void notePeak() {
    peakBytes = Math.max(peakBytes, heldActivationBytes());
  }

  @Override
  public Map<Integer, Double> losses(long step) {
    return new TreeMap<>(losses);
  }

  @Override
  public SortedMap<Integer, Double> gradientSumSquares() {
    DispatcherGuard.assertNotOnDispatcher("reading gradient sums of squares (device synchronisation)");
    foldGroups();
    SortedMap<Integer, Double> out = new TreeMap<>();
    for (Model m : chunks.values()) {
      double[] perLayer = m.gradSumOfSquaresPerLayer();
      for (int i = 0; i < perLayer.length; i++) {
        out.put(m.firstLayer() + i, perLayer[i]);
      }
    }
    return out;
  }

  @Override
  public boolean updatesInsideStep() {
    return twoBw != null;
  }

  @Override
  public void reduceOverReplicas(java.util.function.BiFunction<Long, float[], float[]> reduce) {
    if (twoBw == null) {
      throw new UnsupportedOperationException("only 2bw reduces inside a step");
    }
    twoBw.reduceOverReplicas(reduce);
  }

  @Override
  public float[] stageGradients(int v) {
    DispatcherGuard.assertNotOnDispatcher("downloading gradients (device synchronisation)");
    foldGroups(v);
    return GradientReduction.gradients(chunk(v).parameters());
  }

  @Override
  public void holdGradients(int group, java.util.Set<Integer> stages) {
    DispatcherGuard.assertNotOnDispatcher("downloading gradients (device synchronisation)");
    if (twoBw != null) {
      throw new UnsupportedOperationException("2bw updates inside the step: its microbatches cannot be rerouted");
    }
    foldGroups();
    for (Map.Entry<Integer, Model> e : new TreeMap<>(chunks).entrySet()) {
      if (!stages.contains(e.getKey())) {
        continue; // all-reduced already: its gradients stay as they are
      }
      heldGroups.computeIfAbsent(e.getKey(), v -> new TreeMap<>())
          .put(group, GradientReduction.gradients(e.getValue().parameters()));
      e.getValue().zeroGrad();
    }
  }

  @Override
  public HostTensor backwardInputOnly(long step, int mb, int v, int version, HostTensor gradOutput) {
    HostTensor dx = backwardInput(step, mb, v, version, gradOutput);
    chunk(v).discard(mb);
    stashed.remove(key(mb, v));
    return dx;
  }

  @Override
  public void dropGradients(java.util.Set<Integer> stages) {
    foldGroups();
    chunks.forEach((v, chunk) -> {
      if (stages.contains(v)) {
        chunk.zeroGrad();
      }
    });
  }

  @Override
  public void foldHeldGroups() {
    DispatcherGuard.assertNotOnDispatcher("uploading gradients (device synchronisation)");
    foldGroups();
    for (Map.Entry<Integer, SortedMap<Integer, float[]>> e : heldGroups.entrySet()) {
      // the all-reduce's own sum, the groups in the order of the replicas that would have sent them
      float[] sum = GradientSlices.sum(e.getValue().values().toArray(float[][]::new));
      GradientReduction.setGradients(chunk(e.getKey()).parameters(), sum);
    }
    heldGroups.clear();
  }

  @Override
  public void setStageGradients(int v, float[] reduced) {
    setStageGradients(v, new float[][] {reduced});
  }

  @Override
  public void setStageGradients(int v, float[][] pieces) {
    DispatcherGuard.assertNotOnDispatcher("uploading gradients (device synchronisation)");
    GradientReduction.setGradients(chunk(v).parameters(), pieces);
  }

  @Override
  public void applyUpdate(long step, double gradScale) {
    foldGroups();
    if (twoBw == null) {
      List<Parameter> params = parameters();
      GradientClipping.apply(params, (float) gradScale);
      optimizer.step(params, step + 1, lr.at(step + 1));
      chunks.values().forEach(Model::zeroGrad);
      stepsApplied = step + 1;
    } // 2bw: the updates happened inside the window, every interval backwards

    inFlight.values().forEach(b -> b.free(backend));
    inFlight.clear();
    losses.clear();
  }

  @Override
  public long stepsApplied() {
    return stepsApplied;
  }

  @Override
  public SortedMap<Integer, byte[]> layerDigests() {
    DispatcherGuard.assertNotOnDispatcher("downloading weights (device synchronisation)");
    SortedMap<Integer, byte[]> out = new TreeMap<>();
    for (Model m : chunks.values()) {
      List<Layer> layers = m.layers();
      for (int i = 0; i < layers.size(); i++) {
        out.put(m.firstLayer() + i, WeightsDigest.layerDigest(LayerState.save(layers.get(i), false)));
      }
    }
    return out;
  }

  @Override
  public long stateBytes() {
    long floats = 0;
    for (Parameter p : parameters()) {
      floats += p.size() * (1L + Math.max(p.optimizerSlots(), optimizer.stateSlots())); // slots: after the 1st update
    }
    return floats * Float.BYTES;
  }

  @Override
  public SortedMap<Integer, byte[]> snapshot() {
    DispatcherGuard.assertNotOnDispatcher("snapshotting layer states (device synchronisation)");
    SortedMap<Integer, byte[]> out = new TreeMap<>();
    for (Model m : chunks.values()) {
      List<Layer> layers = m.layers();
      for (int i = 0; i < layers.size(); i++) {
        out.put(m.firstLayer() + i, LayerState.save(layers.get(i), true));
      }
    }
    return out;
  }

  @Override
  public void restore(java.util.function.IntFunction<byte[]> stateOfLayer) {
    DispatcherGuard.assertNotOnDispatcher("restoring layer states (file reads, device copies)");
    if (twoBw != null) {
      throw new IllegalStateException("PipeDream-2BW keeps two weight versions; checkpoints hold one");
    }
    for (Model m : chunks.values()) {
      List<Layer> layers = m.layers();
      for (int i = 0; i < layers.size(); i++) {
        LayerState.load(layers.get(i), stateOfLayer.apply(m.firstLayer() + i));
      }
    }
  }

  @Override
  public void close() {
    for (int mb : List.copyOf(inFlight.keySet())) {
      chunks.values().forEach(m -> m.discard(mb));
    }
    kept.values().forEach(Tensor::release);
    kept.clear();
    inFlight.values().forEach(b -> b.free(backend));
    inFlight.clear();
    if (twoBw != null) {
      twoBw.free();
    }
    chunks.values().forEach(m -> m.layers().forEach(Layer::free));
    backend.close();
  }

  private static long key(int mb, int v) {
    return ((long) mb << 32) | v;
  }
}
