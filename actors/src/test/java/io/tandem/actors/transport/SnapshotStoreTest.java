package io.tandem.actors.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class SnapshotStoreTest {

  @Test
  void shardsCarryEveryByteOfAnyLength_includingNaNBitPatterns() {
    Random random = new Random(7);
    for (int length : new int[] {0, 1, 3, 4, 5, 1023, 4096}) {
      byte[] state = new byte[length];
      random.nextBytes(state);
      if (length >= 4) { // a signalling NaN's bits must survive: the bytes are copied, never converted
        state[0] = 0x01;
        state[1] = 0x00;
        state[2] = (byte) 0x80;
        state[3] = 0x7f;
      }
      var header = SnapshotFrames.header("job-1", 7, 3, length, 2, 5);
      assertArrayEquals(state, SnapshotFrames.unpack(header, SnapshotFrames.pack(state)), "length " + length);
      assertEquals("job-1", SnapshotFrames.jobOf(header));
    }
  }

  @Test
  void aShardWhoseLengthDoesNotFitItsPayloadIsRefused() {
    var header = SnapshotFrames.header("job-1", 7, 3, 100, 0, 0);
    var e = assertThrows(IllegalArgumentException.class, () -> SnapshotFrames.unpack(header,
        SnapshotFrames.pack(new byte[8])));
    assertTrue(e.getMessage().contains("claims 100 bytes but carries 2 floats"), e.getMessage());
  }

  @Test
  void aDevicesBatchIsReportedOnceAllItsLayersArrived_andOldStepsAreDropped() {
    SnapshotStore store = new SnapshotStore();
    List<SnapshotStore.BatchHeld> held = new ArrayList<>();
    store.onBatchHeld(held::add);
    store.received("j", 4, 2, new byte[] {1}, 1, 2);
    assertTrue(held.isEmpty());
    store.received("j", 4, 3, new byte[] {2}, 1, 2);
    assertEquals(List.of(new SnapshotStore.BatchHeld("j", 4, List.of(2, 3))), held);
    store.received("j", 4, 0, new byte[] {3}, 0, 0); // a restore transfer: kept, not reported
    assertEquals(1, held.size());
    assertArrayEquals(new byte[] {3}, store.get("j", 4, 0).orElseThrow());
    for (long step = 5; step < 5 + SnapshotStore.STEPS_KEPT; step++) {
      store.put("j", step, 0, new byte[] {(byte) step});
    }
    assertTrue(store.get("j", 4, 2).isEmpty(), "the oldest step is dropped");
    assertEquals(SnapshotStore.STEPS_KEPT, store.bytes("j"));
    store.drop("j");
    assertEquals(0, store.bytes("j"));
  }

  /**
   * Within its budget the store drops a job's older steps to keep the newest; a state that does
   * not fit even then is not kept (and not reported), so a node never runs out of memory for it.
   */
  @Test
  void overTheBudget_olderStepsGoFirst_andWhatStillDoesNotFitIsNotKept() {
    SnapshotStore store = new SnapshotStore(1000);
    List<SnapshotStore.BatchHeld> held = new ArrayList<>();
    store.onBatchHeld(held::add);
    assertTrue(store.put("j", 1, 0, new byte[400]));
    assertTrue(store.put("j", 1, 1, new byte[400]));
    assertTrue(store.put("j", 2, 0, new byte[400])); // 1200 > 1000: step 1 goes
    assertTrue(store.get("j", 1, 0).isEmpty(), "the older step made room");
    assertEquals(400, store.bytes("j"));
    assertTrue(store.put("j", 2, 1, new byte[400]));
    assertEquals(800, store.bytes("j"));
    store.received("j", 2, 2, new byte[400], 1, 1); // 1200 > 1000 and nothing older: refused, not reported
    assertTrue(store.get("j", 2, 2).isEmpty());
    assertTrue(held.isEmpty(), held.toString());
    assertTrue(!store.put("j", 3, 0, new byte[1001]), "larger than the whole budget");
    assertEquals(800, store.bytes("j"), "step 2 is kept: dropping it would not have made room");
    assertTrue(store.put("j", 3, 0, new byte[1000]));
    assertEquals(1000, store.bytes("j"), "step 2 made room for it");
    store.drop("j");
    assertTrue(store.put("k", 1, 0, new byte[1000]), "a dropped job's bytes are free again");
  }

  @Test
  void awaitWaitsForALayerAndTimesOutNamingIt() throws Exception {
    SnapshotStore store = new SnapshotStore();
    Thread late = new Thread(() -> {
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        return;
      }
      store.put("j", 9, 1, new byte[] {42});
    });
    late.start();
    assertArrayEquals(new byte[] {42}, store.await("j", 9, 1, Duration.ofSeconds(10)));
    TimeoutException e = assertThrows(TimeoutException.class, () -> store.await("j", 9, 2, Duration.ofMillis(50)));
    assertTrue(e.getMessage().contains("layer 2 of the snapshot after step 9 of job 'j' did not arrive"),
        e.getMessage());
  }
}
