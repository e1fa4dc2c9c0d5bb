package io.tandem.actors.worker;

import io.tandem.proto.HopStats;
import io.tandem.proto.HopTrace;

/**
 * Adds up, for one worker and one step, where its incoming tensors spent their time: the
 * producer's compute thread to its actor, to the data plane writer, over the wire (serialize,
 * seal, socket, read, verify), the reader to this actor, and this actor to the op starting on
 * the compute thread. Tensors sent within a JVM have no writer or wire part. Thread-safe: the
 * actor records arrivals, the device's step loop hand-offs.
 */
final class HopStatsCollector {
  private HopStats.Builder stats = HopStats.newBuilder();

  synchronized void reset() {
    stats = HopStats.newBuilder();
  }

  /** A tensor with {@code trace} reached the worker's actor at {@code arrivedUs}. */
  synchronized void arrived(HopTrace trace, long arrivedUs) {
    if (trace.getComputedUs() == 0 || trace.getDispatchedUs() == 0) {
      return;
    }
    long written = trace.getWriteUs() == 0 ? trace.getDispatchedUs() : trace.getWriteUs();
    long read = trace.getReadUs() == 0 ? written : trace.getReadUs();
    stats.setHops(stats.getHops() + 1)
        .setComputeToActorUs(stats.getComputeToActorUs() + (trace.getDispatchedUs() - trace.getComputedUs()))
        .setActorToWriterUs(stats.getActorToWriterUs() + (written - trace.getDispatchedUs()))
        .setWireUs(stats.getWireUs() + (read - written))
        .setReaderToActorUs(stats.getReaderToActorUs() + (arrivedUs - read));
  }

  /** An op waiting for a tensor that arrived at {@code arrivedUs} started computing at {@code startedUs}. */
  synchronized void handedOff(long arrivedUs, long startedUs) {
    stats.setHandoffs(stats.getHandoffs() + 1)
        .setActorToComputeUs(stats.getActorToComputeUs() + (startedUs - arrivedUs));
  }

  synchronized HopStats build() {
    return stats.build();
  }
}
