package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tandem.schedule.Schedule;
import io.tandem.schedule.ScheduleRegistry;
import io.tandem.schedule.ScheduleSpec;
import io.tandem.schedule.Simulator;
import io.tandem.schedule.TextTimeline;
import org.junit.jupiter.api.Test;

/**
 * The text timeline's time ruler lines up with the device rows: a tick stands on the left edge
 * of the cell where its time starts, as the rows' bar stands left of time 0.
 */
class TextTimelineAlignmentTest {
  @Test
  void ticksStandOnTheLeftEdgeOfTheirTime() {
    Schedule s = ScheduleRegistry.generate("1f1b", ScheduleSpec.of(2, 3));
    String[] lines = TextTimeline.render(s, Simulator.simulate(s), false, 0).split("\n");
    String ruler = lines[0];
    String d1 = lines[2];
    assertEquals(d1.indexOf('|'), ruler.indexOf("|0"), ruler + "\n" + d1);
    // on device 1, BW1 starts at time 5 (F0 at 1, BW0 at 2..4, F1 at 4, BW1 at 5)
    assertEquals(d1.indexOf("BW1") - 1, ruler.indexOf("|5"), ruler + "\n" + d1);
  }
}
