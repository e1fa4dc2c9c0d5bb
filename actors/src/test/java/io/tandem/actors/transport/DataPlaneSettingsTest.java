package io.tandem.actors.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

/** The {@code seal-threads} setting: {@code auto} by the cores, a count, or one line naming the rule broken. */
class DataPlaneSettingsTest {
  static DataPlaneSettings withSealThreads(String value) {
    return DataPlaneSettings.create(ConfigFactory.parseString(DataPlaneSettings.PATH + ".seal-threads = " + value)
        .withFallback(ConfigFactory.defaultReference()));
  }

  @Test
  void auto_isAQuarterOfTheCores_atMostFour_andNoPoolBelowEightCores() {
    assertEquals(1, DataPlaneSettings.autoSealThreads(1));
    assertEquals(1, DataPlaneSettings.autoSealThreads(2));
    assertEquals(1, DataPlaneSettings.autoSealThreads(7));
    assertEquals(2, DataPlaneSettings.autoSealThreads(8));
    assertEquals(4, DataPlaneSettings.autoSealThreads(16));
    assertEquals(4, DataPlaneSettings.autoSealThreads(128));
    assertEquals(DataPlaneSettings.autoSealThreads(Runtime.getRuntime().availableProcessors()),
        DataPlaneSettings.defaults().sealThreads());
  }

  @Test
  void aCount_isTaken_andABadValueIsOneLine() {
    assertEquals(3, withSealThreads("3").sealThreads());
    IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> withSealThreads("0"));
    assertEquals("tandem.cluster.data-plane.seal-threads must be auto or 1..64, got 0", zero.getMessage());
    IllegalArgumentException word = assertThrows(IllegalArgumentException.class, () -> withSealThreads("many"));
    assertEquals("tandem.cluster.data-plane.seal-threads must be auto or 1..64, got 'many'", word.getMessage());
  }
}
