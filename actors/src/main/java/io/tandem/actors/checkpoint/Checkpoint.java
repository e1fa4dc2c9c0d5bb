package io.tandem.actors.checkpoint;

import io.tandem.proto.CheckpointFile;
import io.tandem.proto.CheckpointManifest;
import java.nio.file.Path;
import java.util.Collection;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A committed checkpoint: its directory and manifest. Layer states are read on demand, each
 * checked against the manifest's SHA-256.
 */
public record Checkpoint(Path dir, CheckpointManifest manifest) {

  /** Steps completed; training resumes at this step. */
  public long step() {
    return manifest.getStep();
  }

  /** The verified state of {@code layer}; throws {@link CheckpointException} naming the file. */
  public byte[] layer(int layer) {
    for (CheckpointFile f : manifest.getFilesList()) {
      if (f.getLayer() == layer) {
        return CheckpointStore.verifiedPayload(dir, f);
      }
    }
    throw new CheckpointException("checkpoint " + dir + " has no file for layer " + layer);
  }

  /** The verified states of {@code layers}, by layer. */
  public SortedMap<Integer, byte[]> layers(Collection<Integer> layers) {
    SortedMap<Integer, byte[]> out = new TreeMap<>();
    for (int l : layers) {
      out.put(l, layer(l));
    }
    return out;
  }
}
