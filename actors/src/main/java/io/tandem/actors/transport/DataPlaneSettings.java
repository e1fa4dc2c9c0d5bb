package io.tandem.actors.transport;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;

/**
 * The {@code tandem.cluster.data-plane} block of the configuration (deploy/CONFIG.md).
 *
 * @param maxFrameBytes largest frame (prefix, header, tensor bytes and seal) sent or accepted
 * @param queueFrames frames waiting per peer connection; a send to a full queue fails
 * @param chunkBytes size of the direct buffer each connection streams its unsigned frames through
 * @param connectTimeout how long opening a connection to a peer may take
 * @param authenticate sign every frame's header with HMAC-SHA256 under its job's key and seal its
 *     payload with AES-256-GCM ({@link FrameCipher}; off: CRC32C only)
 * @param sealThreads threads of a client's or a server's {@link SealPool} (1: each connection seals
 *     and opens on its own thread)
 */
public record DataPlaneSettings(long maxFrameBytes, int queueFrames, int chunkBytes, Duration connectTimeout,
    boolean authenticate, int sealThreads) {
  /** The configuration path of this block. */
  public static final String PATH = "tandem.cluster.data-plane";

  public DataPlaneSettings {
    if (maxFrameBytes < TensorFrames.PREFIX_BYTES) {
      throw new IllegalArgumentException(PATH + ".max-frame-size must be at least " + TensorFrames.PREFIX_BYTES
          + " bytes, got " + maxFrameBytes);
    }
    if (queueFrames < 1) {
      throw new IllegalArgumentException(PATH + ".queue-frames must be >= 1, got " + queueFrames);
    }
    if (chunkBytes < 4096 || chunkBytes % 8 != 0) {
      throw new IllegalArgumentException(PATH + ".chunk-size must be a multiple of 8 and at least 4096 bytes, got "
          + chunkBytes);
    }
    if (sealThreads < 1 || sealThreads > MAX_SEAL_THREADS) {
      throw new IllegalArgumentException(PATH + ".seal-threads must be auto or 1.." + MAX_SEAL_THREADS + ", got "
          + sealThreads);
    }
  }

  /** Most seal threads a client or server may have. */
  public static final int MAX_SEAL_THREADS = 64;

  /**
   * What {@code seal-threads = auto} means on a machine of {@code cores} cores: a quarter of them,
   * at most 4, and 1 (no pool) below 8 cores, where the sockets and the compute need every core.
   */
  public static int autoSealThreads(int cores) {
    return Math.max(1, Math.min(4, cores / 4));
  }

  /** Parses a {@code seal-threads} value: {@code auto} or a count. */
  public static int parseSealThreads(String value) {
    String v = value.trim();
    if (v.equalsIgnoreCase("auto")) {
      return autoSealThreads(Runtime.getRuntime().availableProcessors());
    }
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(PATH + ".seal-threads must be auto or 1.." + MAX_SEAL_THREADS + ", got '"
          + value + "'");
    }
  }

  /** Reads {@value #PATH} from {@code config}. */
  public static DataPlaneSettings create(Config config) {
    Config c = config.getConfig(PATH);
    long chunk = c.getBytes("chunk-size");
    if (chunk > 64 << 20) {
      throw new IllegalArgumentException(PATH + ".chunk-size must be at most 64MiB, got " + chunk);
    }
    return new DataPlaneSettings(c.getBytes("max-frame-size"), c.getInt("queue-frames"), (int) chunk,
        c.getDuration("connect-timeout"), c.getBoolean("authenticate"), parseSealThreads(c.getString("seal-threads")));
  }

  /** The defaults of reference.conf. */
  public static DataPlaneSettings defaults() {
    return create(ConfigFactory.defaultReference());
  }

  public DataPlaneSettings withAuthenticate(boolean on) {
    return new DataPlaneSettings(maxFrameBytes, queueFrames, chunkBytes, connectTimeout, on, sealThreads);
  }

  public DataPlaneSettings withMaxFrameBytes(long bytes) {
    return new DataPlaneSettings(bytes, queueFrames, chunkBytes, connectTimeout, authenticate, sealThreads);
  }

  public DataPlaneSettings withSealThreads(int threads) {
    return new DataPlaneSettings(maxFrameBytes, queueFrames, chunkBytes, connectTimeout, authenticate, threads);
  }

  public DataPlaneSettings withChunkBytes(int bytes) {
    return new DataPlaneSettings(maxFrameBytes, queueFrames, bytes, connectTimeout, authenticate, sealThreads);
  }
}
