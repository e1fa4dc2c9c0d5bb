package io.tandem.kernels;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Pools of freed arrays keyed by exact length, with live/peak byte accounting. Reused arrays are
 * zero-filled before they are handed out. Arrays parked in the pool do not count as allocated.
 */
final class CpuMemory {
  private final Map<Integer, ArrayDeque<float[]>> floats = new HashMap<>();
  private final Map<Integer, ArrayDeque<int[]>> ints = new HashMap<>();
  private long allocated;
  private long peak;
  private long pooled;

  synchronized float[] takeFloats(int length) {
    ArrayDeque<float[]> q = floats.get(length);
    float[] a = q == null ? null : q.pollLast();
    if (a == null) {
      a = new float[length];
    } else {
      pooled -= 4L * length;
      Arrays.fill(a, 0f);
    }
    count(4L * length);
    return a;
  }

  synchronized int[] takeInts(int length) {
    ArrayDeque<int[]> q = ints.get(length);
    int[] a = q == null ? null : q.pollLast();
    if (a == null) {
      a = new int[length];
    } else {
      pooled -= 4L * length;
      Arrays.fill(a, 0);
    }
    count(4L * length);
    return a;
  }

  synchronized void give(float[] a) {
    floats.computeIfAbsent(a.length, k -> new ArrayDeque<>()).addLast(a);
    pooled += 4L * a.length;
    allocated -= 4L * a.length;
  }

  synchronized void give(int[] a) {
    ints.computeIfAbsent(a.length, k -> new ArrayDeque<>()).addLast(a);
    pooled += 4L * a.length;
    allocated -= 4L * a.length;
  }

  private void count(long bytes) {
    allocated += bytes;
    peak = Math.max(peak, allocated);
  }

  synchronized long allocatedBytes() {
    return allocated;
  }

  synchronized long peakBytes() {
    return peak;
  }

  synchronized long pooledBytes() {
    return pooled;
  }

  synchronized void resetPeak() {
    peak = allocated;
  }

  /** Drops every pooled array (they become garbage). */
  synchronized void clearPool() {
    floats.clear();
    ints.clear();
    pooled = 0;
  }
}
