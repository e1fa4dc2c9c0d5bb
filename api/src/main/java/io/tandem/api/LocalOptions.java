package io.tandem.api;

/**
 * Options of an embedded runtime ({@link Tandem#local}): a one-member cluster in this JVM
 * (coordinator and worker roles) on loopback.
 *
 * @param host address the member binds (Artery and data plane)
 * @param devices devices the embedded worker offers (informational: a job opens as many as
 *     its spec asks for)
 */
public record LocalOptions(String host, int devices) {

  public LocalOptions {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("host must not be blank");
    }
    if (devices < 1) {
      throw new IllegalArgumentException("devices must be >= 1, got " + devices);
    }
  }

  /** 127.0.0.1, 4 devices. */
  public static LocalOptions defaults() {
    return new LocalOptions("127.0.0.1", 4);
  }
}
