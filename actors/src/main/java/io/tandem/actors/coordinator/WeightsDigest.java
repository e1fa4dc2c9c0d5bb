package io.tandem.actors.coordinator;

import io.tandem.actors.blocking.DispatcherGuard;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SortedMap;

/** The job's {@code weights-sha256}: SHA-256 over every layer's serialized weights in layer order. */
public final class WeightsDigest {
  private WeightsDigest() {}

  /** Hashes {@code layerWeights} in layer order (empty input: no weights). Blocking: not on a dispatcher. */
  public static String sha256(SortedMap<Integer, byte[]> layerWeights) {
    DispatcherGuard.assertNotOnDispatcher("hashing the weights (SHA-256)");
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      layerWeights.values().forEach(digest::update);
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
  }
}
