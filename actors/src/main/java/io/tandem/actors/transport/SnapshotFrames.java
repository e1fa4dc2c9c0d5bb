package io.tandem.actors.transport;

import io.tandem.proto.TensorFrameHeader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Snapshot shards on the data plane: one layer's saved state as a frame. The bytes travel packed
 * four to a float (a bulk copy of the raw bits, never a float conversion), padded to whole
 * floats; the header names the job ({@value #JOB_PREFIX} + its id), the step, the layer and the
 * state's true length.
 */
public final class SnapshotFrames {
  /** Snapshot frames' job ids start with this, so they are authenticated by the job's snapshot key. */
  public static final String JOB_PREFIX = "snapshot:";

  private SnapshotFrames() {}

  /** The data plane job id under which {@code job}'s snapshot shards travel. */
  public static String channel(String job) {
    return JOB_PREFIX + job;
  }

  /** The header of a shard: {@code batch} layers in all from {@code device} (0: a restore transfer). */
  public static TensorFrameHeader header(String job, long step, int layer, int stateBytes, int device, int batch) {
    return TensorFrameHeader.newBuilder().setJobId(channel(job)).setStep(step).setTargetStage(layer)
        .addShape(floats(stateBytes)).setSnapshotShard(true).setSnapshotBytes(stateBytes)
        .setSnapshotDevice(device).setSnapshotBatch(batch).build();
  }

  private static int floats(int bytes) {
    return (bytes + 3) / 4;
  }

  /** {@code state} as a tensor of {@code ceil(length / 4)} floats holding its bytes (one copy). */
  public static HostTensor pack(byte[] state) {
    int n = floats(state.length);
    int whole = state.length / 4;
    float[] data = new float[n];
    ByteBuffer.wrap(state).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data, 0, whole);
    if (whole < n) { // the last bytes, padded with zeros to a float
      ByteBuffer tail = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
      tail.put(state, whole * 4, state.length - whole * 4);
      data[whole] = tail.getFloat(0);
    }
    return new HostTensor(new int[] {n}, data);
  }

  /** The state a shard carries (one copy); throws when its length does not fit the payload. */
  public static byte[] unpack(TensorFrameHeader header, HostTensor tensor) {
    long bytes = header.getSnapshotBytes();
    if (bytes < 0 || floats((int) Math.min(bytes, Integer.MAX_VALUE)) != tensor.elements()) {
      throw new IllegalArgumentException("snapshot shard of layer " + header.getTargetStage() + " claims " + bytes
          + " bytes but carries " + tensor.elements() + " floats");
    }
    byte[] state = new byte[(int) bytes];
    int whole = state.length / 4;
    ByteBuffer.wrap(state).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(tensor.data(), 0, whole);
    if (whole < tensor.elements()) {
      ByteBuffer tail = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, tensor.data()[whole]);
      tail.get(0, state, whole * 4, state.length - whole * 4);
    }
    return state;
  }

  /** The job a snapshot frame's job id names. */
  public static String jobOf(TensorFrameHeader header) {
    return header.getJobId().substring(JOB_PREFIX.length());
  }
}
