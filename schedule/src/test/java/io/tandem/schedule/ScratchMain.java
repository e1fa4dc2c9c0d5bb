package io.tandem.schedule;
public class ScratchMain {
  public static void main(String[] a) {
    for (int rep = 0; rep < 2; rep++)
    for (ScheduleGenerator g : ScheduleRegistry.all()) {
      long t0 = System.nanoTime(); long tg = 0;
      for (int p = 1; p <= 16; p++) for (int m = 1; m <= 64; m++) {
        try { long t1 = System.nanoTime(); Schedule s = g.generate(ScheduleSpec.of(p, m)); tg += System.nanoTime()-t1; Validator.validate(s);} catch (IllegalArgumentException e) {}
      }
      System.out.printf("%s total %.2fs gen %.2fs%n", g.name(), (System.nanoTime()-t0)/1e9, tg/1e9);
    }
    for (ScheduleGenerator g : ScheduleRegistry.all()) {
      for (int rep = 0; rep < 3; rep++) {
      long t0 = System.nanoTime();
      Schedule s = g.generate(ScheduleSpec.of(64, 512));
      long t1 = System.nanoTime();
      SimulationResult r = Simulator.simulate(s);
      long t2 = System.nanoTime();
      System.out.printf("p64 m512 %s gen %.3fs sim %.3fs bubble %.4f%n", g.name(), (t1-t0)/1e9, (t2-t1)/1e9, r.bubble());
      }
    }
  }
}
