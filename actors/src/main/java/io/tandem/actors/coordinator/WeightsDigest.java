package io.tandem.actors.coordinator;

import io.tandem.actors.blocking.DispatcherGuard;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The job's {@code weights-sha256}, computed without gathering the model: each worker digests
 * its own layers ({@link #layerDigest}: SHA-256 of a layer's serialized weights, without optimizer
 * state) and sends 32 bytes per layer; the coordinator hashes those digests in layer order
 * ({@link #combine}). Equal hashes mean equal weights, whatever the partition, the number of
 * processes or the recovery path.
 */
public final class WeightsDigest {
  private WeightsDigest() {}

  /** SHA-256 of one layer's serialized weights. Blocking: not on a dispatcher. */
  public static byte[] layerDigest(byte[] serializedWeights) {
    DispatcherGuard.assertNotOnDispatcher("hashing a layer's weights (SHA-256)");
    return sha256().digest(serializedWeights);
  }

  /** The weights hash from every layer's digest, in layer order (empty input: no weights). Blocking. */
  public static String combine(SortedMap<Integer, byte[]> layerDigests) {
    DispatcherGuard.assertNotOnDispatcher("hashing the weights (SHA-256)");
    MessageDigest digest = sha256();
    layerDigests.values().forEach(digest::update);
    return HexFormat.of().formatHex(digest.digest());
  }

  /** The weights hash of serialized layers held in one place (references, a checkpoint opened as a model). */
  public static String ofSerializedLayers(SortedMap<Integer, byte[]> serializedWeights) {
    SortedMap<Integer, byte[]> digests = new TreeMap<>();
    serializedWeights.forEach((layer, bytes) -> digests.put(layer, layerDigest(bytes)));
    return combine(digests);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
  }
}
