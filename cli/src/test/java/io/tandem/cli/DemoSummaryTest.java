package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.model.Presets;
import io.tandem.schedule.Schedule;
import io.tandem.schedule.ScheduleRegistry;
import io.tandem.schedule.ScheduleSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The demo's peak table labels its units and says why the MiB differ where the units do not. */
class DemoSummaryTest {
  @Test
  void peakTable_labelsUnitsAndNamesEachDevicesLayers() {
    Schedule vHalf = ScheduleRegistry.generate("v-half", ScheduleSpec.of(4, 8));
    String table = DemoCommand.peakTable(new double[] {3, 3, 3, 3}, new double[] {3, 3, 3, 3},
        new long[] {1 << 20, 22 << 20, 45 << 20, 22 << 20}, vHalf, Presets.byName("gpt-mini"));
    List<String> lines = table.lines().toList();
    assertTrue(lines.get(0).contains("measured peak units*") && lines.get(0).contains("simulator units")
        && lines.get(0).contains("activation MiB") && lines.get(0).endsWith("layers"), table);
    // gpt-mini: embedding, 8 blocks, final norm, head; V-shape: device 0 holds the first and last chunks
    assertTrue(lines.get(1).endsWith("0, 9-10"), table);
    assertTrue(lines.get(3).endsWith("2-3, 6-7"), table);
    assertEquals(7, lines.size(), table);
    assertTrue(lines.get(5).startsWith("* one unit: one microbatch's activations through 1/4 of the model"), table);
    assertTrue(lines.get(6).startsWith("MiB differ though units match") && lines.get(6).contains("layers 9-10"), table);
  }
}
