package io.tandem.kernels;

import static io.tandem.kernels.CudaDriverException.check;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * Host-device copies through two pinned host chunks, so the copies are truly asynchronous
 * (the driver copies pageable Java arrays synchronously). Each chunk has an event; a chunk is
 * refilled only after the copy that last used it is done. Uploads return once the data is in
 * pinned memory (the caller may reuse its array); downloads overlap the copy of one chunk with
 * unpacking the previous one. Used from one thread at a time.
 */
final class PinnedStaging implements AutoCloseable {
  /** Bytes per chunk. */
  static final int CHUNK_BYTES = 4 << 20;
  private static final int CHUNK_WORDS = CHUNK_BYTES / 4;

  private final CUstream stream;
  private final Pointer[] host = new Pointer[2];
  private final ByteBuffer[] view = new ByteBuffer[2];
  private final CUevent[] done = new CUevent[2];
  private final boolean[] pending = new boolean[2];
  private int next;
  private boolean closed;

  PinnedStaging(CUstream stream) {
    this.stream = stream;
    try {
      for (int i = 0; i < 2; i++) {
        Pointer p = new Pointer();
        check(JCudaDriver.cuMemAllocHost(p, CHUNK_BYTES), "cuMemAllocHost", CHUNK_BYTES + " bytes");
        host[i] = p;
        view[i] = p.getByteBuffer(0, CHUNK_BYTES).order(ByteOrder.nativeOrder());
        CUevent event = new CUevent();
        check(JCudaDriver.cuEventCreate(event, CUevent_flags.CU_EVENT_DISABLE_TIMING), "cuEventCreate");
        done[i] = event;
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** Queues a copy of {@code src[offset .. offset+length)} to {@code dst}. */
  void upload(float[] src, int offset, CUdeviceptr dst, int length) {
    for (int pos = 0; pos < length; ) {
      int count = Math.min(length - pos, CHUNK_WORDS);
      int slot = claim();
      view[slot].clear();
      view[slot].asFloatBuffer().put(src, offset + pos, count);
      toDevice(slot, dst.withByteOffset(4L * pos), count);
      pos += count;
    }
  }

  /** Queues a copy of {@code src[offset .. offset+length)} to {@code dst}. */
  void uploadInts(int[] src, int offset, CUdeviceptr dst, int length) {
    for (int pos = 0; pos < length; ) {
      int count = Math.min(length - pos, CHUNK_WORDS);
      int slot = claim();
      view[slot].clear();
      view[slot].asIntBuffer().put(src, offset + pos, count);
      toDevice(slot, dst.withByteOffset(4L * pos), count);
      pos += count;
    }
  }

  /** Copies {@code length} floats from {@code src} into {@code dst[offset..]}, waiting for them. */
  void download(CUdeviceptr src, float[] dst, int offset, int length) {
    int prevSlot = -1;
    int prevPos = 0;
    int prevCount = 0;
    for (int pos = 0; pos < length; ) {
      int count = Math.min(length - pos, CHUNK_WORDS);
      int slot = claim();
      check(JCudaDriver.cuMemcpyDtoHAsync(host[slot], src.withByteOffset(4L * pos), 4L * count, stream),
          "cuMemcpyDtoHAsync");
      record(slot);
      if (prevSlot >= 0) {
        unpack(prevSlot, dst, offset + prevPos, prevCount);
      }
      prevSlot = slot;
      prevPos = pos;
      prevCount = count;
      pos += count;
    }
    if (prevSlot >= 0) {
      unpack(prevSlot, dst, offset + prevPos, prevCount);
    }
  }

  /** Reads one double from device memory, waiting for it. */
  double readDouble(CUdeviceptr src) {
    int slot = claim();
    check(JCudaDriver.cuMemcpyDtoHAsync(host[slot], src, 8, stream), "cuMemcpyDtoHAsync");
    record(slot);
    await(slot);
    return view[slot].getDouble(0);
  }

  /** The next chunk, once its previous copy has finished. */
  private int claim() {
    int slot = next;
    next ^= 1;
    await(slot);
    return slot;
  }

  private void toDevice(int slot, CUdeviceptr dst, int words) {
    check(JCudaDriver.cuMemcpyHtoDAsync(dst, host[slot], 4L * words, stream), "cuMemcpyHtoDAsync");
    record(slot);
  }

  private void record(int slot) {
    check(JCudaDriver.cuEventRecord(done[slot], stream), "cuEventRecord");
    pending[slot] = true;
  }

  private void await(int slot) {
    if (pending[slot]) {
      pending[slot] = false;
      check(JCudaDriver.cuEventSynchronize(done[slot]), "cuEventSynchronize");
    }
  }

  private void unpack(int slot, float[] dst, int offset, int count) {
    await(slot);
    view[slot].clear();
    view[slot].asFloatBuffer().get(dst, offset, count);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (int i = 0; i < 2; i++) {
      if (done[i] != null) {
        if (pending[i]) {
          JCudaDriver.cuEventSynchronize(done[i]);
        }
        JCudaDriver.cuEventDestroy(done[i]);
      }
      if (host[i] != null) {
        JCudaDriver.cuMemFreeHost(host[i]);
      }
    }
  }
}
