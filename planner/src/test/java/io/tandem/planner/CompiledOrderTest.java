package io.tandem.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tandem.schedule.MemoryModel;
import io.tandem.schedule.Schedule;
import io.tandem.schedule.Simulator;
import io.tandem.schedule.StageCosts;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The planner's flattened timing must agree with the schedule module's Simulator. */
class CompiledOrderTest {
  @Test
  void finishTimes_matchTheSimulator_forEveryFamily() {
    Random rnd = new Random(3);
    ScheduleOrders orders = new ScheduleOrders();
    for (Family f : Family.ALL) {
      for (int p : new int[] {2, 3, 4}) {
        int m = 2 * p;
        Schedule s = orders.get(f, p, m, p).schedule();
        int stages = s.stages();
        double[] fw = new double[stages];
        double[] b = new double[stages];
        double[] w = new double[stages];
        for (int v = 0; v < stages; v++) {
          fw[v] = 0.5 + rnd.nextDouble();
          b[v] = 0.5 + rnd.nextDouble();
          w[v] = rnd.nextDouble();
        }
        double comm = rnd.nextDouble() * 0.3;
        double[] finish = new CompiledOrder(s).finishTimes(fw, b, w, comm, null);
        double makespan = 0;
        for (double t : finish) {
          makespan = Math.max(makespan, t);
        }
        double expected = Simulator.simulate(s, new StageCosts(fw, b, w, comm), MemoryModel.DEFAULT).makespan();
        assertEquals(expected, makespan, 1e-9, f.name() + " p=" + p);
      }
    }
  }
}
