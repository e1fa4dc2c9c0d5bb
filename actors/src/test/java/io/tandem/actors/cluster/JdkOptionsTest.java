package io.tandem.actors.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class JdkOptionsTest {
  @Test
  void jdk17To22_getNativeAccessOnly_becauseTheyRejectTheUnsafeOption() {
    for (int feature : new int[] {17, 21, 22}) {
      assertEquals(List.of("--enable-native-access=ALL-UNNAMED"), JdkOptions.forFeature(feature), "JDK " + feature);
    }
  }

  @Test
  void jdk23AndLater_alsoAllowUnsafeMemoryAccess() {
    for (int feature : new int[] {23, 25, 26}) {
      assertEquals(List.of("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"),
          JdkOptions.forFeature(feature), "JDK " + feature);
    }
  }
}
