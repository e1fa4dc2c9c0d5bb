package io.tandem.schedule;
public class ScratchMain {
  public static void main(String[] a) {
    for (String n : a) {
      Schedule s = ScheduleRegistry.generate(n, ScheduleSpec.of(4, 8));
      System.out.println(TextTimeline.render(s, Simulator.simulate(s), false, 0));
    }
  }
}
