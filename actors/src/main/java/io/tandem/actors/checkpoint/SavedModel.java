package io.tandem.actors.checkpoint;

import io.tandem.actors.coordinator.WeightsDigest;
import io.tandem.kernels.Backend;
import io.tandem.kernels.CpuBackend;
import io.tandem.model.Layer;
import io.tandem.model.LayerState;
import io.tandem.model.Model;
import io.tandem.model.ModelSpec;
import io.tandem.model.Presets;
import io.tandem.proto.JobSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A committed checkpoint opened as a whole model on a CPU backend: the job spec that wrote it
 * (from the manifest), and every layer's weights and optimizer state loaded and checked against
 * the manifest's SHA-256. What {@code tandem checkpoint}, {@code generate}, {@code eval} and the
 * Java API's {@code Model.load} stand on.
 */
public final class SavedModel implements AutoCloseable {
  private final Checkpoint checkpoint;
  private final JobSpec spec;
  private final ModelSpec modelSpec;
  private final Backend backend;
  private final Model model;

  private SavedModel(Checkpoint checkpoint, JobSpec spec, ModelSpec modelSpec, Backend backend, Model model) {
    this.checkpoint = checkpoint;
    this.spec = spec;
    this.modelSpec = modelSpec;
    this.backend = backend;
    this.model = model;
  }

  /**
   * The checkpoint at {@code path}: a checkpoint directory (its newest valid checkpoint, or
   * {@code step} when it is >= 0) or one {@code step-N} directory. Errors name the path and
   * what is wrong ({@link CheckpointException}).
   */
  public static Checkpoint locate(Path path, long step) {
    return locate(path, step, false);
  }

  /**
   * {@link #locate(Path, long)}; with {@code filesOnNodes}, files missing here whose manifest entry
   * names a node count as kept on that node's own disk (for a cluster job, whose nodes fetch them).
   */
  public static Checkpoint locate(Path path, long step, boolean filesOnNodes) {
    if (!Files.isDirectory(path)) {
      throw new CheckpointException("checkpoint directory " + path + " does not exist");
    }
    if (Files.isRegularFile(path.resolve(CheckpointStore.MANIFEST))) {
      Checkpoint c = CheckpointStore.read(path.getParent() == null ? Path.of(".") : path.getParent(),
          stepOf(path));
      if (step >= 0 && c.step() != step) {
        throw new CheckpointException(path + " is the checkpoint of step " + c.step() + ", not " + step);
      }
      return c;
    }
    CheckpointStore store = new CheckpointStore(path, 1);
    if (step >= 0) {
      if (!store.committedSteps().contains(step)) {
        throw new CheckpointException("no committed checkpoint of step " + step + " in " + path
            + " (committed: " + store.committedSteps() + ")");
      }
      return store.open(step);
    }
    StringBuilder skipped = new StringBuilder();
    return store.latestValid(m -> skipped.append("; ").append(m), java.util.Set.of(), filesOnNodes)
        .orElseThrow(() -> new CheckpointException("no valid checkpoint in " + path + (store.committedSteps().isEmpty()
            ? " (no step-N directory with a manifest.pb)" : ": " + skipped.substring(2))));
  }

  private static long stepOf(Path stepDir) {
    String name = stepDir.getFileName().toString();
    if (!name.matches("step-\\d+")) {
      throw new CheckpointException("checkpoint directory " + stepDir + " is not named step-N");
    }
    return Long.parseLong(name.substring(5));
  }

  /** The job spec a checkpoint was written by; an error when its manifest predates that field. */
  public static JobSpec specOf(Checkpoint c) {
    if (!c.manifest().hasSpec() || c.manifest().getSpec().getModel().isEmpty()) {
      throw new CheckpointException("checkpoint " + c.dir() + " names no job spec (written by an older Tandem):"
          + " it cannot be opened as a model");
    }
    return c.manifest().getSpec();
  }

  /** The model shape a spec names. */
  public static ModelSpec modelSpecOf(JobSpec spec) {
    return Presets.byName(spec.getModel());
  }

  /** Opens the checkpoint at {@code path} (see {@link #locate}) with every layer loaded and verified. */
  public static SavedModel load(Path path, long step) {
    Checkpoint c = locate(path, step);
    JobSpec spec = specOf(c);
    ModelSpec modelSpec = modelSpecOf(spec);
    if (c.manifest().getLayers() != modelSpec.numLayers()) {
      throw new CheckpointException("checkpoint " + c.dir() + " holds " + c.manifest().getLayers() + " layers but model "
          + spec.getModel() + " has " + modelSpec.numLayers());
    }
    Backend backend = CpuBackend.create(Math.max(1, Runtime.getRuntime().availableProcessors()));
    try {
      Model model = modelSpec.build(backend, spec.getSeed());
      List<Layer> layers = model.layers();
      for (int i = 0; i < layers.size(); i++) {
        LayerState.load(layers.get(i), c.layer(i));
      }
      return new SavedModel(c, spec, modelSpec, backend, model);
    } catch (RuntimeException e) {
      backend.close();
      throw e;
    }
  }

  /**
   * The hash a run prints on its final line ({@code weights-sha256=}) for these weights: the
   * same function over the same layers, so equal hashes mean equal weights.
   */
  public static String weightsSha256(List<Layer> layersInOrder) {
    SortedMap<Integer, byte[]> weights = new TreeMap<>();
    for (int i = 0; i < layersInOrder.size(); i++) {
      weights.put(i, LayerState.save(layersInOrder.get(i), false));
    }
    return WeightsDigest.ofSerializedLayers(weights);
  }

  public String weightsSha256() {
    return weightsSha256(model.layers());
  }

  public Checkpoint checkpoint() {
    return checkpoint;
  }

  public JobSpec spec() {
    return spec;
  }

  public ModelSpec modelSpec() {
    return modelSpec;
  }

  public Backend backend() {
    return backend;
  }

  public Model model() {
    return model;
  }

  @Override
  public void close() {
    model.free();
    backend.close();
  }
}
