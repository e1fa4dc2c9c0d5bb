package io.tandem.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ValidatorTest {
  private static Schedule oneFOneB(int p, int m) {
    return new OneFOneB().generate(ScheduleSpec.of(p, m));
  }

  private static Schedule withOps(Schedule s, int device, List<Op> ops) {
    List<List<Op>> all = new ArrayList<>(s.ops());
    all.set(device, ops);
    return new Schedule(s.name(), s.microbatches(), s.placement(), all, s.costs());
  }

  private static ScheduleValidationException invalid(Schedule s) {
    ScheduleValidationException e = assertThrows(ScheduleValidationException.class, () -> Validator.validate(s));
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    // the simulator refuses the same schedule
    assertThrows(ScheduleValidationException.class, () -> Simulator.simulate(s));
    return e;
  }

  @Test
  void validSchedule_passes() {
    Validator.validate(oneFOneB(4, 8));
  }

  @Test
  void missingOp_isNamedWithItsDevice() {
    Schedule s = oneFOneB(4, 8);
    List<Op> ops = new ArrayList<>(s.opsOf(2));
    ops.remove(Op.bw(5, 2));
    ScheduleValidationException e = invalid(withOps(s, 2, ops));
    assertEquals("missing op B5@2 (or BW5@2) on device 2", e.getMessage());
    assertEquals(2, e.device());
    assertEquals(Op.b(5, 2), e.op().orElseThrow());

    List<Op> noF = new ArrayList<>(s.opsOf(1));
    noF.remove(Op.f(7, 1));
    noF.remove(Op.bw(7, 1));
    assertEquals("missing op F7@1 on device 1", invalid(withOps(s, 1, noF)).getMessage());
  }

  @Test
  void duplicate_isNamed() {
    Schedule s = oneFOneB(4, 8);
    List<Op> ops = new ArrayList<>(s.opsOf(3));
    ops.add(Op.f(2, 3));
    ScheduleValidationException e = invalid(withOps(s, 3, ops));
    assertTrue(e.getMessage().startsWith("op F2@3 on device 3: scheduled twice"), e.getMessage());
    assertEquals(3, e.device());
  }

  @Test
  void wrongDevice_isNamed() {
    Schedule s = oneFOneB(4, 8);
    List<Op> ops = new ArrayList<>(s.opsOf(0));
    ops.add(3, Op.f(0, 1));
    ScheduleValidationException e = invalid(withOps(s, 0, ops));
    assertEquals("op F0@1 on device 0: virtual stage 1 belongs to device 1", e.getMessage());
  }

  @Test
  void outOfRange_isNamed() {
    Schedule s = oneFOneB(2, 2);
    List<Op> ops = new ArrayList<>(s.opsOf(0));
    ops.add(Op.f(2, 0));
    assertEquals("op F2@0 on device 0: microbatch 2 is outside 0..1", invalid(withOps(s, 0, ops)).getMessage());
  }

  @Test
  void wBeforeB_isNamed() {
    Schedule s = new Schedule("t", 1, Placement.linear(2),
        List.of(List.of(Op.f(0, 0), Op.w(0, 0), Op.b(0, 0)), List.of(Op.f(0, 1), Op.b(0, 1), Op.w(0, 1))),
        OpCosts.UNIT);
    assertEquals("op W0@0 on device 0: it comes before its B0@0 (op 1 < op 2)", invalid(s).getMessage());
  }

  @Test
  void splitAndFusedBackward_conflict() {
    Schedule s = new Schedule("t", 1, Placement.linear(1),
        List.of(List.of(Op.f(0, 0), Op.b(0, 0), Op.w(0, 0), Op.bw(0, 0))), OpCosts.UNIT);
    assertTrue(invalid(s).getMessage().startsWith("op BW0@0 on device 0:"));
  }

  @Test
  void deadlock_isNamed() {
    // Device 0 wants B0@0 before F1@0, device 1 wants F1@1 before B0@1: a cycle.
    Schedule s = new Schedule("t", 2, Placement.linear(2),
        List.of(List.of(Op.f(0, 0), Op.bw(0, 0), Op.f(1, 0), Op.bw(1, 0)),
            List.of(Op.f(0, 1), Op.f(1, 1), Op.bw(0, 1), Op.bw(1, 1))),
        OpCosts.UNIT);
    ScheduleValidationException e = invalid(s);
    assertEquals("deadlock: op BW0@0 on device 0 (op 1 of its list) waits for BW0@1 on device 1,"
        + " which never runs before it", e.getMessage());
    assertEquals(0, e.device());
  }

  @Test
  void backwardBeforeOwnForward_isADeadlock() {
    Schedule s = new Schedule("t", 1, Placement.linear(1),
        List.of(List.of(Op.bw(0, 0), Op.f(0, 0))), OpCosts.UNIT);
    assertTrue(invalid(s).getMessage().contains("waits for F0@0 on device 0"));
  }

  @Test
  void versionedSchedule_needsAVersionOnEveryOp() {
    Schedule s = new PipeDream2BW().generate(ScheduleSpec.of(2, 2));
    java.util.Map<Op, Integer> versions = new java.util.HashMap<>(s.weightVersions());
    versions.remove(Op.bw(1, 1));
    Schedule broken = new Schedule(s.name(), s.microbatches(), s.placement(), s.ops(), s.costs(), versions);
    assertEquals("op BW1@1 on device 1: it has no weight version (every op of a versioned schedule needs one)",
        invalid(broken).getMessage());
  }
}
