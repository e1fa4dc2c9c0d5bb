package io.tandem.actors.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SnapshotLedgerTest {

  @Test
  void theNewestSnapshotTheSurvivorsHoldWholeIsRestored() {
    SnapshotLedger ledger = new SnapshotLedger(4);
    // step 6: a holds 0-1 (its own), b holds 0-1 (a's peer copy) and 2-3 (its own), c holds 2-3
    ledger.held("a", 6, List.of(0, 1));
    ledger.held("b", 6, List.of(0, 1));
    ledger.held("b", 6, List.of(2, 3));
    ledger.held("c", 6, List.of(2, 3));
    // step 7: b died while its peer copy to c was on the way
    ledger.held("a", 7, List.of(0, 1));
    ledger.held("b", 7, List.of(0, 1));
    ledger.held("b", 7, List.of(2, 3));
    assertEquals(7, ledger.newest(Set.of("a", "b", "c")).orElseThrow().step());
    SnapshotLedger.Restorable r = ledger.newest(Set.of("a", "c")).orElseThrow();
    assertEquals(6, r.step(), "step 7's layers 2-3 were only on b");
    assertEquals(Map.of(0, "a", 1, "a", 2, "c", 3, "c"), r.holderOfLayer());
    assertTrue(ledger.newest(Set.of("a")).isEmpty(), "no node left holds layers 2-3");
  }

  @Test
  void aModelWithoutLayerStatesIsNeverRestoredFromMemory() {
    SnapshotLedger ledger = new SnapshotLedger(0);
    ledger.held("a", 3, List.of(0));
    assertTrue(ledger.newest(Set.of("a")).isEmpty());
  }

  @Test
  void onlyTheNewestStepsAreKept() {
    SnapshotLedger ledger = new SnapshotLedger(1);
    for (long s = 1; s <= 10; s++) {
      ledger.held("a", s, List.of(0));
    }
    assertEquals(10, ledger.newest(Set.of("a")).orElseThrow().step());
    assertTrue(ledger.holders(10 - SnapshotLedger.STEPS_KEPT).isEmpty());
    assertEquals(Set.of("a"), ledger.holders(10 - SnapshotLedger.STEPS_KEPT + 1));
  }
}
