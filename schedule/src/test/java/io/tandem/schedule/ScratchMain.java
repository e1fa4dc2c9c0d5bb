package io.tandem.schedule;
public class ScratchMain {
  public static void main(String[] a) {
    for (int p : new int[]{1,2,4,8,16}) for (int m : new int[]{1, p, 2*p, 4*p}) {
      StringBuilder sb = new StringBuilder("p="+p+" m="+m);
      for (ScheduleGenerator g : ScheduleRegistry.all()) {
        try {
          Schedule s = g.generate(ScheduleSpec.of(p, m));
          SimulationResult r = Simulator.simulate(s);
          SimulationResult r5 = Simulator.simulate(s, StageCosts.uniform(s.costs(), s.stages(), s.chunksPerDevice()), new MemoryModel(0.5));
          sb.append(String.format(" | %s %.4f pk=%.2f/%.2f", g.name(), r.bubble(), r.maxPeakActivation(), r5.maxPeakActivation()));
        } catch (IllegalArgumentException e) { sb.append(" | "+g.name()+" ERR "+e.getMessage()); }
      }
      System.out.println(sb + String.format("  zbh1bound=%.4f", (p-1.0)/(3*m+p-1)));
    }
  }
}
