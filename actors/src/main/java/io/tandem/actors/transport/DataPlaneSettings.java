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
 */
public record DataPlaneSettings(long maxFrameBytes, int queueFrames, int chunkBytes, Duration connectTimeout,
    boolean authenticate) {
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
  }

  /** Reads {@value #PATH} from {@code config}. */
  public static DataPlaneSettings create(Config config) {
    Config c = config.getConfig(PATH);
    long chunk = c.getBytes("chunk-size");
    if (chunk > 64 << 20) {
      throw new IllegalArgumentException(PATH + ".chunk-size must be at most 64MiB, got " + chunk);
    }
    return new DataPlaneSettings(c.getBytes("max-frame-size"), c.getInt("queue-frames"), (int) chunk,
        c.getDuration("connect-timeout"), c.getBoolean("authenticate"));
  }

  /** The defaults of reference.conf. */
  public static DataPlaneSettings defaults() {
    return create(ConfigFactory.defaultReference());
  }

  public DataPlaneSettings withAuthenticate(boolean on) {
    return new DataPlaneSettings(maxFrameBytes, queueFrames, chunkBytes, connectTimeout, on);
  }

  public DataPlaneSettings withMaxFrameBytes(long bytes) {
    return new DataPlaneSettings(bytes, queueFrames, chunkBytes, connectTimeout, authenticate);
  }

  public DataPlaneSettings withChunkBytes(int bytes) {
    return new DataPlaneSettings(maxFrameBytes, queueFrames, bytes, connectTimeout, authenticate);
  }
}
