package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.schedule.ScheduleRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class BenchSchedulesCommandTest {
  @Test
  void json_hasOneEntryPerRegisteredSchedule() {
    StringWriter out = new StringWriter();
    int code = TandemCli.run(new String[] {"bench", "schedules", "-p", "2", "-m", "4", "--repeat", "1", "--json"},
        new PrintWriter(out), new PrintWriter(new StringWriter()));
    assertEquals(0, code);
    for (String name : ScheduleRegistry.names()) {
      assertTrue(out.toString().contains("\"name\":\"" + name + "\""), name + " in " + out);
    }
  }

  @Test
  void badRepeat_isAUserError() {
    StringWriter err = new StringWriter();
    int code = TandemCli.run(new String[] {"bench", "schedules", "--repeat", "0"},
        new PrintWriter(new StringWriter()), new PrintWriter(err));
    assertEquals(TandemCli.USER_ERROR, code);
    assertTrue(err.toString().startsWith("tandem: --repeat"), err.toString());
  }
}
