package io.tandem.actors.cluster;

import java.util.ArrayList;
import java.util.List;

/**
 * The JVM options that keep a newer JDK from printing warnings about Tandem's libraries at every
 * start: {@code --enable-native-access=ALL-UNNAMED} (JCuda loads its JNI library through
 * {@code System.loadLibrary}, a restricted method from JDK 24; the option is accepted from JDK 17)
 * and, from JDK 23, {@code --sun-misc-unsafe-memory-access=allow} (Pekko reads field offsets
 * through {@code sun.misc.Unsafe}; JDK 24+ warns by default, JDK 17-22 reject the option). The
 * {@code tandem} launcher, the GPU bundle's launcher, the Docker image and the worker JVMs that
 * benches and tests start pass them.
 */
public final class JdkOptions {
  /** The first JDK feature release that accepts {@code --sun-misc-unsafe-memory-access}. */
  static final int UNSAFE_MEMORY_ACCESS_SINCE = 23;

  private JdkOptions() {}

  /** The options for a JVM of feature release {@code feature} (17 for JDK 17.0.x). */
  public static List<String> forFeature(int feature) {
    List<String> options = new ArrayList<>(List.of("--enable-native-access=ALL-UNNAMED"));
    if (feature >= UNSAFE_MEMORY_ACCESS_SINCE) {
      options.add("--sun-misc-unsafe-memory-access=allow");
    }
    return List.copyOf(options);
  }

  /** The options for a JVM of the same release as this one (the worker JVMs this JVM starts). */
  public static List<String> forThisJdk() {
    return forFeature(Runtime.version().feature());
  }
}
