package io.tandem.kernels;

import static io.tandem.kernels.CudaDriverException.check;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUjit_option;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;
import jcuda.driver.JITOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Backend} on one NVIDIA GPU through JCuda's driver API only ({@code libcuda.so.1}; no
 * cuBLAS, no NVRTC). Kernels come from the committed fatbin ({@code tandem_kernels.fatbin}:
 * sm_90 SASS plus compute_80 PTX). All work goes, in order, into one non-blocking stream; the
 * device's primary context is made current on every call (cheap), so the backend works from
 * its {@link #executor()} thread or from any single caller thread.
 *
 * <p>Differences from the CPU backend, all within the 1e-4 relative agreement the tests check:
 * column sums (bias and LayerNorm weight gradients) add fixed chunks of rows, then the chunks in
 * order; other reductions use fixed trees. Results are deterministic from run to run. Token ids
 * and targets live on the device, so they are not checked on the host: an out-of-range
 * embedding id gives a NaN row, an out-of-range target a NaN loss and gradient.
 */
public final class CudaBackend implements Backend {
  private static final Logger LOG = LoggerFactory.getLogger(CudaBackend.class);

  /** Threads per block for elementwise kernels. */
  private static final int BLOCK = 256;
  /** Blocks of the first sum-of-squares pass (at most). */
  private static final int SUM_BLOCKS = 1024;
  /** Batches per GEMM launch (grid z limit). */
  private static final int MAX_GRID_Z = 65535;

  private final int ordinal;
  private final CUdevice device = new CUdevice();
  private final CUcontext context = new CUcontext();
  private final CUmodule module = new CUmodule();
  private final Map<CudaKernel, CUfunction> functions = new EnumMap<>(CudaKernel.class);
  private final CUstream stream = new CUstream();
  private final CudaMemoryPool pool;
  private final GemmVariant gemmVariant;
  private final Set<Object> live = Collections.newSetFromMap(new IdentityHashMap<>());
  private final ExecutorService executor;
  private PinnedStaging staging;
  private CUdeviceptr scratch;  // SUM_BLOCKS partial sums + the result, as doubles
  private DeviceInfo info;
  private int multiprocessors;
  private long allocatedBytes;
  private long peakBytes;
  private boolean contextRetained;
  private boolean moduleLoaded;
  private boolean streamCreated;
  /** Read by ops on the executor thread, written by {@link #close} from another. */
  private volatile boolean closed;
  private volatile Thread computeThread;

  /** Opens device {@code ordinal} with the GEMM variant of {@link GemmVariant#fromSystemProperty()}. */
  public static CudaBackend open(int ordinal) {
    return open(ordinal, GemmVariant.fromSystemProperty());
  }

  /**
   * Opens device {@code ordinal}. Throws {@link IllegalStateException} when CUDA is unavailable
   * (see {@link CudaAvailability#probe()}) and {@link CudaDriverException} when a driver call
   * fails.
   */
  public static CudaBackend open(int ordinal, GemmVariant gemmVariant) {
    CudaAvailability a = CudaAvailability.probe().require();
    DriverRequirement.check(a.driverVersion()).ifPresent(m -> {
      throw new IllegalStateException(m);
    });
    if (ordinal < 0 || ordinal >= a.devices()) {
      throw new IllegalArgumentException("no CUDA device " + ordinal + " (have " + a.devices() + ")");
    }
    return new CudaBackend(ordinal, gemmVariant, KernelImage.load());
  }

  private CudaBackend(int ordinal, GemmVariant gemmVariant, KernelImage image) {
    this.ordinal = ordinal;
    this.gemmVariant = gemmVariant;
    this.pool = new CudaMemoryPool(this::syncStream);
    try {
      check(JCudaDriver.cuDeviceGet(device, ordinal), "cuDeviceGet");
      check(JCudaDriver.cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
      contextRetained = true;
      check(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
      loadModule(image.bytes());
      moduleLoaded = true;
      for (CudaKernel k : CudaKernel.values()) {
        CUfunction f = new CUfunction();
        check(JCudaDriver.cuModuleGetFunction(f, module, k.symbol), "cuModuleGetFunction", k.symbol);
        functions.put(k, f);
      }
      check(JCudaDriver.cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING), "cuStreamCreate");
      streamCreated = true;
      staging = new PinnedStaging(stream);
      scratch = pool.acquire(8L * (SUM_BLOCKS + 1));
      info = describe();
    } catch (RuntimeException e) {
      release();
      throw e;
    }
    this.executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(() -> {
        computeThread = Thread.currentThread();
        JCudaDriver.cuCtxSetCurrent(context);
        r.run();
      }, "tandem-cuda-" + ordinal);
      t.setDaemon(true);
      return t;
    });
    LOG.info("CUDA backend on device {}: {} ({} SMs, {} MiB), driver {}, GEMM {}", ordinal, info.name(),
        multiprocessors, info.memoryBytes() >> 20, CudaAvailability.probe().driverVersion(), gemmVariant);
  }

  /**
   * Loads the fatbin; on failure loads it again with the JIT's error log switched on, so the
   * exception says why (typically the PTX JIT on a GPU other than sm_90).
   */
  private void loadModule(byte[] fatbin) {
    int rc = JCudaDriver.cuModuleLoadData(module, fatbin);
    if (rc == CUresult.CUDA_SUCCESS) {
      return;
    }
    if (rc == CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION) {
      throw new IllegalStateException(DriverRequirement.tooOld(CudaAvailability.probe().driverVersion()));
    }
    String log = "";
    try {
      JITOptions jit = new JITOptions();
      jit.putBytes(CUjit_option.CU_JIT_ERROR_LOG_BUFFER, new byte[8192]);
      jit.putInt(CUjit_option.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES, 8192);
      CUmodule retry = new CUmodule();
      if (JCudaDriver.cuModuleLoadDataJIT(retry, Pointer.to(fatbin), jit) == CUresult.CUDA_SUCCESS) {
        JCudaDriver.cuModuleUnload(retry);
      }
      log = jit.getString(CUjit_option.CU_JIT_ERROR_LOG_BUFFER).trim();
    } catch (RuntimeException e) {
      log = "no JIT log: " + e;
    }
    check(rc, "cuModuleLoadData", "tandem_kernels.fatbin: sm_90 SASS + compute_80 PTX ISA 9.0; driver "
        + CudaAvailability.probe().driverVersion() + (log.isEmpty() ? "" : "; JIT log: " + log));
  }

  private DeviceInfo describe() {
    byte[] name = new byte[256];
    check(JCudaDriver.cuDeviceGetName(name, name.length, device), "cuDeviceGetName");
    int len = 0;
    while (len < name.length && name[len] != 0) {
      len++;
    }
    long[] mem = new long[1];
    check(JCudaDriver.cuDeviceTotalMem(mem, device), "cuDeviceTotalMem");
    int[] sms = new int[1];
    check(JCudaDriver.cuDeviceGetAttribute(sms, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT,
        device), "cuDeviceGetAttribute");
    multiprocessors = sms[0];
    return new DeviceInfo("cuda", new String(name, 0, len, StandardCharsets.UTF_8), mem[0], sms[0]);
  }

  /** The GEMM kernel {@link #gemm} uses. */
  public GemmVariant gemmVariant() {
    return gemmVariant;
  }

  @Override
  public String name() {
    return "cuda:" + ordinal;
  }

  @Override
  public DeviceInfo info() {
    return info;
  }

  @Override
  public ExecutorService executor() {
    return executor;
  }

  @Override
  public String toString() {
    return "CudaBackend[" + name() + ", " + info.name() + ", gemm " + gemmVariant + "]";
  }

  // ---------------------------------------------------------------- memory

  @Override
  public DeviceBuffer allocate(long elements) {
    enter();
    CudaBuffer b = new CudaBuffer(this, block(elements), elements);
    live.add(b);
    return b;
  }

  @Override
  public DeviceIntBuffer allocateInts(long elements) {
    enter();
    CudaIntBuffer b = new CudaIntBuffer(this, block(elements), elements);
    live.add(b);
    return b;
  }

  /** A zero-filled block for {@code elements} 4-byte words, counted as allocated. */
  private CUdeviceptr block(long elements) {
    if (elements < 0 || elements > Long.MAX_VALUE / 8) {
      throw new IllegalArgumentException("cannot allocate " + elements + " elements");
    }
    CUdeviceptr p = pool.acquire(4 * elements);
    if (elements > 0) {
      check(JCudaDriver.cuMemsetD32Async(p, 0, elements, stream), "cuMemsetD32Async");
    }
    allocatedBytes += 4 * elements;
    peakBytes = Math.max(peakBytes, allocatedBytes);
    return p;
  }

  @Override
  public void free(DeviceBuffer buffer) {
    enter();
    CudaBuffer b = own(buffer, "buffer");
    if (b.isFreed()) {
      throw new IllegalArgumentException("buffer freed twice");
    }
    pool.release(b.release(), 4 * b.length());
    live.remove(b);
    allocatedBytes -= 4 * b.length();
  }

  @Override
  public void free(DeviceIntBuffer buffer) {
    enter();
    CudaIntBuffer b = ownInts(buffer, "buffer");
    if (b.isFreed()) {
      throw new IllegalArgumentException("buffer freed twice");
    }
    pool.release(b.release(), 4 * b.length());
    live.remove(b);
    allocatedBytes -= 4 * b.length();
  }

  @Override
  public long allocatedBytes() {
    return allocatedBytes;
  }

  @Override
  public long peakAllocatedBytes() {
    return peakBytes;
  }

  @Override
  public void resetPeak() {
    peakBytes = allocatedBytes;
  }

  /** Device bytes held by the pool's cache (freed buffers kept for reuse). */
  public long pooledBytes() {
    return pool.cachedBytes();
  }

  /** Returns the pool's cached blocks to the driver. */
  public void trimPool() {
    enter();
    pool.trim();
  }

  @Override
  public void upload(float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int length) {
    enter();
    CudaBuffer d = own(dst, "dst");
    Checks.host(src.length, srcOffset, length, "src");
    Checks.range(d.length(), dstOffset, length, "dst");
    staging.upload(src, srcOffset, at(d, dstOffset), length);
  }

  @Override
  public void download(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int length) {
    enter();
    CudaBuffer s = own(src, "src");
    Checks.range(s.length(), srcOffset, length, "src");
    Checks.host(dst.length, dstOffset, length, "dst");
    staging.download(at(s, srcOffset), dst, dstOffset, length);
  }

  @Override
  public void uploadInts(int[] src, int srcOffset, DeviceIntBuffer dst, long dstOffset, int length) {
    enter();
    CudaIntBuffer d = ownInts(dst, "dst");
    Checks.host(src.length, srcOffset, length, "src");
    Checks.range(d.length(), dstOffset, length, "dst");
    staging.uploadInts(src, srcOffset, d.ptr().withByteOffset(4 * dstOffset), length);
  }

  @Override
  public void synchronize() {
    enter();
    syncStream();
  }

  private void syncStream() {
    if (!streamCreated) {
      return;
    }
    check(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");
  }

  // ---------------------------------------------------------------- elementwise

  @Override
  public void fill(DeviceBuffer buf, long offset, long n, float value) {
    enter();
    CudaBuffer b = own(buf, "buf");
    Checks.range(b.length(), offset, n, "buf");
    if (n > 0) {
      launch1d(CudaKernel.FILL, n, at(b, offset), n, value);
    }
  }

  @Override
  public void copy(DeviceBuffer src, long srcOffset, DeviceBuffer dst, long dstOffset, long n) {
    enter();
    CudaBuffer s = own(src, "src");
    CudaBuffer d = own(dst, "dst");
    Checks.range(s.length(), srcOffset, n, "src");
    Checks.range(d.length(), dstOffset, n, "dst");
    if (n == 0 || (s == d && srcOffset == dstOffset)) {
      return;
    }
    boolean overlap = s == d && srcOffset < dstOffset + n && dstOffset < srcOffset + n;
    if (!overlap) {
      launch1d(CudaKernel.COPY, n, at(s, srcOffset), at(d, dstOffset), n);
      return;
    }
    // Overlapping ranges of one buffer: go through a temporary, like System.arraycopy.
    CUdeviceptr tmp = pool.acquire(4 * n);
    launch1d(CudaKernel.COPY, n, at(s, srcOffset), tmp, n);
    launch1d(CudaKernel.COPY, n, tmp, at(d, dstOffset), n);
    pool.release(tmp, 4 * n);  // stream order keeps later users behind these copies
  }

  @Override
  public void axpy(long n, float alpha, DeviceBuffer x, DeviceBuffer y) {
    enter();
    CudaBuffer bx = own(x, "x");
    CudaBuffer by = own(y, "y");
    Checks.count(n, "axpy", bx.length(), by.length());
    if (n > 0) {
      launch1d(CudaKernel.AXPY, n, n, alpha, bx.ptr(), by.ptr());
    }
  }

  @Override
  public void add(long n, DeviceBuffer a, DeviceBuffer b, DeviceBuffer out) {
    enter();
    CudaBuffer ba = own(a, "a");
    CudaBuffer bb = own(b, "b");
    CudaBuffer bo = own(out, "out");
    Checks.count(n, "add", ba.length(), bb.length(), bo.length());
    if (n > 0) {
      launch1d(CudaKernel.ADD, n, n, ba.ptr(), bb.ptr(), bo.ptr());
    }
  }

  @Override
  public void scale(long n, float alpha, DeviceBuffer x) {
    enter();
    CudaBuffer bx = own(x, "x");
    Checks.count(n, "scale", bx.length());
    if (n > 0) {
      launch1d(CudaKernel.SCALE, n, n, alpha, bx.ptr());
    }
  }

  @Override
  public double sumOfSquares(DeviceBuffer x, long offset, long n) {
    enter();
    CudaBuffer b = own(x, "x");
    Checks.range(b.length(), offset, n, "x");
    if (n == 0) {
      return 0.0;
    }
    // The partition depends on n only, so the result is the same on every run.
    int blocks = (int) Math.min(SUM_BLOCKS, Math.max(1, (n + 8L * BLOCK - 1) / (8L * BLOCK)));
    launch(CudaKernel.SUM_SQUARES_PARTIAL, blocks, 1, 1, BLOCK, at(b, offset), n, scratch);
    CUdeviceptr result = scratch.withByteOffset(8L * SUM_BLOCKS);
    launch(CudaKernel.SUM_PARTIALS, 1, 1, 1, BLOCK, scratch, blocks, result);
    return staging.readDouble(result);
  }

  // ---------------------------------------------------------------- matrix multiply

  @Override
  public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
      DeviceBuffer a, long aOffset, int lda, DeviceBuffer b, long bOffset, int ldb,
      float beta, DeviceBuffer c, long cOffset, int ldc) {
    gemmStridedBatched(gemmVariant, transA, transB, m, n, k, alpha, a, aOffset, lda, 0, b, bOffset,
        ldb, 0, beta, c, cOffset, ldc, 0, 1);
  }

  @Override
  public void gemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
      DeviceBuffer a, long aOffset, int lda, long strideA,
      DeviceBuffer b, long bOffset, int ldb, long strideB,
      float beta, DeviceBuffer c, long cOffset, int ldc, long strideC, int batch) {
    gemmStridedBatched(gemmVariant, transA, transB, m, n, k, alpha, a, aOffset, lda, strideA, b,
        bOffset, ldb, strideB, beta, c, cOffset, ldc, strideC, batch);
  }

  /** {@link #gemmStridedBatched} with an explicit kernel variant (benchmarks, tests). */
  public void gemmStridedBatched(GemmVariant variant, boolean transA, boolean transB, int m, int n,
      int k, float alpha, DeviceBuffer a, long aOffset, int lda, long strideA,
      DeviceBuffer b, long bOffset, int ldb, long strideB,
      float beta, DeviceBuffer c, long cOffset, int ldc, long strideC, int batch) {
    enter();
    CudaBuffer ba = own(a, "A");
    CudaBuffer bb = own(b, "B");
    CudaBuffer bc = own(c, "C");
    Checks.sizes("gemm", m, n, k, batch);
    Checks.matrix(ba.length(), aOffset, lda, transA ? k : m, transA ? m : k, strideA, batch, "A");
    Checks.matrix(bb.length(), bOffset, ldb, transB ? n : k, transB ? k : n, strideB, batch, "B");
    Checks.matrix(bc.length(), cOffset, ldc, m, n, strideC, batch, "C");
    if (m == 0 || n == 0 || batch == 0) {
      return;
    }
    // Unused leading dimensions (k == 0) still reach the kernel; keep them valid ints.
    int gridX = (n + 127) / 128;
    int gridY = (m + 127) / 128;
    if (gridY > 65535) {
      throw new IllegalArgumentException("gemm: m = " + m + " exceeds " + 65535 * 128L + " rows");
    }
    CudaKernel kernel = gemmKernel(variant, transA, transB);
    for (int first = 0; first < batch; first += MAX_GRID_Z) {
      int count = Math.min(MAX_GRID_Z, batch - first);
      launch(kernel, gridX, gridY, count, 256, m, n, k, alpha,
          ba.ptr(), aOffset + first * strideA, lda, strideA,
          bb.ptr(), bOffset + first * strideB, ldb, strideB,
          beta, bc.ptr(), cOffset + first * strideC, ldc, strideC);
    }
  }

  private static CudaKernel gemmKernel(GemmVariant variant, boolean transA, boolean transB) {
    if (variant == GemmVariant.TF32) {
      return transA ? (transB ? CudaKernel.TF32GEMM_TT : CudaKernel.TF32GEMM_TN)
          : (transB ? CudaKernel.TF32GEMM_NT : CudaKernel.TF32GEMM_NN);
    }
    return transA ? (transB ? CudaKernel.SGEMM_TT : CudaKernel.SGEMM_TN)
        : (transB ? CudaKernel.SGEMM_NT : CudaKernel.SGEMM_NN);
  }

  // ---------------------------------------------------------------- bias

  @Override
  public void biasAdd(DeviceBuffer out, DeviceBuffer bias, int rows, int cols) {
    enter();
    CudaBuffer o = own(out, "out");
    CudaBuffer b = own(bias, "bias");
    Checks.sizes("biasAdd", rows, cols);
    Checks.dense(o.length(), rows, cols, "out");
    Checks.count(cols, "bias", b.length());
    long n = (long) rows * cols;
    if (n > 0) {
      launch1d(CudaKernel.BIAS_ADD, n, o.ptr(), b.ptr(), rows, cols);
    }
  }

  @Override
  public void biasGrad(DeviceBuffer dOut, DeviceBuffer dBias, int rows, int cols) {
    enter();
    CudaBuffer d = own(dOut, "dOut");
    CudaBuffer db = own(dBias, "dBias");
    Checks.sizes("biasGrad", rows, cols);
    Checks.dense(d.length(), rows, cols, "dOut");
    Checks.count(cols, "dBias", db.length());
    if (rows == 0 || cols == 0) {
      return;
    }
    int perChunk = rowsPerChunk(rows);
    int chunks = (rows + perChunk - 1) / perChunk;
    long bytes = 4L * chunks * cols;
    CUdeviceptr partial = pool.acquire(bytes);
    int colBlocks = (cols + 127) / 128;
    launch(CudaKernel.COLUMN_SUM_PARTIAL, colBlocks, chunks, 1, 128, d.ptr(), partial, rows, cols, perChunk);
    launch(CudaKernel.COLUMN_SUM_FINISH, colBlocks, 1, 1, 128, partial, db.ptr(), chunks, cols);
    pool.release(partial, bytes);
  }

  /** Rows per partial column sum: depends on {@code rows} only (determinism), at most 4096 chunks. */
  static int rowsPerChunk(int rows) {
    return Math.max(64, (rows + 4095) / 4096);
  }

  // ---------------------------------------------------------------- activations

  @Override
  public void gelu(long n, DeviceBuffer x, DeviceBuffer y) {
    enter();
    CudaBuffer bx = own(x, "x");
    CudaBuffer by = own(y, "y");
    Checks.count(n, "gelu", bx.length(), by.length());
    if (n > 0) {
      launch1d(CudaKernel.GELU, n, n, bx.ptr(), by.ptr());
    }
  }

  @Override
  public void geluBackward(long n, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx) {
    enter();
    CudaBuffer bx = own(x, "x");
    CudaBuffer bdy = own(dy, "dy");
    CudaBuffer bdx = own(dx, "dx");
    Checks.count(n, "geluBackward", bx.length(), bdy.length(), bdx.length());
    if (n > 0) {
      launch1d(CudaKernel.GELU_BACKWARD, n, n, bx.ptr(), bdy.ptr(), bdx.ptr());
    }
  }

  // ---------------------------------------------------------------- layer norm

  @Override
  public void layerNorm(DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
      DeviceBuffer mean, DeviceBuffer rstd, int rows, int cols, float eps) {
    enter();
    CudaBuffer bx = own(x, "x");
    CudaBuffer bg = own(gamma, "gamma");
    CudaBuffer bb = own(beta, "beta");
    CudaBuffer by = own(y, "y");
    CudaBuffer bm = own(mean, "mean");
    CudaBuffer br = own(rstd, "rstd");
    Checks.sizes("layerNorm", rows, cols);
    Checks.dense(bx.length(), rows, cols, "x");
    Checks.dense(by.length(), rows, cols, "y");
    Checks.count(cols, "gamma/beta", bg.length(), bb.length());
    Checks.count(rows, "mean/rstd", bm.length(), br.length());
    if (rows > 0 && cols > 0) {
      launch(CudaKernel.LAYERNORM, rows, 1, 1, rowBlock(cols), bx.ptr(), bg.ptr(), bb.ptr(), by.ptr(),
          bm.ptr(), br.ptr(), rows, cols, eps);
    }
  }

  @Override
  public void layerNormBackwardInput(DeviceBuffer dy, DeviceBuffer x, DeviceBuffer gamma,
      DeviceBuffer mean, DeviceBuffer rstd, DeviceBuffer dx, int rows, int cols) {
    enter();
    CudaBuffer bdy = own(dy, "dy");
    CudaBuffer bx = own(x, "x");
    CudaBuffer bg = own(gamma, "gamma");
    CudaBuffer bm = own(mean, "mean");
    CudaBuffer br = own(rstd, "rstd");
    CudaBuffer bdx = own(dx, "dx");
    Checks.sizes("layerNormBackwardInput", rows, cols);
    Checks.dense(bdy.length(), rows, cols, "dy");
    Checks.dense(bx.length(), rows, cols, "x");
    Checks.dense(bdx.length(), rows, cols, "dx");
    Checks.count(cols, "gamma", bg.length());
    Checks.count(rows, "mean/rstd", bm.length(), br.length());
    if (rows > 0 && cols > 0) {
      launch(CudaKernel.LAYERNORM_BACKWARD_INPUT, rows, 1, 1, rowBlock(cols), bdy.ptr(), bx.ptr(),
          bg.ptr(), bm.ptr(), br.ptr(), bdx.ptr(), rows, cols);
    }
  }

  @Override
  public void layerNormBackwardWeight(DeviceBuffer dy, DeviceBuffer x, DeviceBuffer mean,
      DeviceBuffer rstd, DeviceBuffer dGamma, DeviceBuffer dBeta, int rows, int cols) {
    enter();
    CudaBuffer bdy = own(dy, "dy");
    CudaBuffer bx = own(x, "x");
    CudaBuffer bm = own(mean, "mean");
    CudaBuffer br = own(rstd, "rstd");
    CudaBuffer bdg = own(dGamma, "dGamma");
    CudaBuffer bdb = own(dBeta, "dBeta");
    Checks.sizes("layerNormBackwardWeight", rows, cols);
    Checks.dense(bdy.length(), rows, cols, "dy");
    Checks.dense(bx.length(), rows, cols, "x");
    Checks.count(rows, "mean/rstd", bm.length(), br.length());
    Checks.count(cols, "dGamma/dBeta", bdg.length(), bdb.length());
    if (rows == 0 || cols == 0) {
      return;
    }
    int perChunk = rowsPerChunk(rows);
    int chunks = (rows + perChunk - 1) / perChunk;
    long bytes = 4L * chunks * cols;
    CUdeviceptr pg = pool.acquire(bytes);
    CUdeviceptr pb = pool.acquire(bytes);
    int colBlocks = (cols + 127) / 128;
    launch(CudaKernel.LAYERNORM_BACKWARD_WEIGHT_PARTIAL, colBlocks, chunks, 1, 128, bdy.ptr(), bx.ptr(),
        bm.ptr(), br.ptr(), pg, pb, rows, cols, perChunk);
    launch(CudaKernel.COLUMN_SUM_FINISH, colBlocks, 1, 1, 128, pg, bdg.ptr(), chunks, cols);
    launch(CudaKernel.COLUMN_SUM_FINISH, colBlocks, 1, 1, 128, pb, bdb.ptr(), chunks, cols);
    pool.release(pg, bytes);
    pool.release(pb, bytes);
  }

  // ---------------------------------------------------------------- softmax and attention

  @Override
  public void softmax(DeviceBuffer x, DeviceBuffer y, int rows, int cols) {
    enter();
    CudaBuffer bx = own(x, "x");
    CudaBuffer by = own(y, "y");
    Checks.sizes("softmax", rows, cols);
    Checks.dense(bx.length(), rows, cols, "x");
    Checks.dense(by.length(), rows, cols, "y");
    if (rows > 0 && cols > 0) {
      launch(CudaKernel.SOFTMAX, rows, 1, 1, rowBlock(cols), bx.ptr(), by.ptr(), rows, cols);
    }
  }

  @Override
  public void causalSoftmax(DeviceBuffer scores, DeviceBuffer probs, int count, int t, float scale) {
    enter();
    CudaBuffer bs = own(scores, "scores");
    CudaBuffer bp = own(probs, "probs");
    Checks.sizes("causalSoftmax", count, t);
    long rows = (long) count * t;
    if (rows > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("causalSoftmax: " + count + " x " + t + " rows exceed 2^31");
    }
    Checks.dense(bs.length(), rows, t, "scores");
    Checks.dense(bp.length(), rows, t, "probs");
    if (rows > 0) {
      launch(CudaKernel.CAUSAL_SOFTMAX, (int) rows, 1, 1, rowBlock(t), bs.ptr(), bp.ptr(), (int) rows, t, scale);
    }
  }

  @Override
  public void softmaxBackward(DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int rows, int cols,
      float scale) {
    enter();
    CudaBuffer by = own(y, "y");
    CudaBuffer bdy = own(dy, "dy");
    CudaBuffer bdx = own(dx, "dx");
    Checks.sizes("softmaxBackward", rows, cols);
    Checks.dense(by.length(), rows, cols, "y");
    Checks.dense(bdy.length(), rows, cols, "dy");
    Checks.dense(bdx.length(), rows, cols, "dx");
    if (rows > 0 && cols > 0) {
      launch(CudaKernel.SOFTMAX_BACKWARD, rows, 1, 1, rowBlock(cols), by.ptr(), bdy.ptr(), bdx.ptr(), rows,
          cols, scale);
    }
  }

  // ---------------------------------------------------------------- loss

  @Override
  public void crossEntropy(DeviceBuffer logits, DeviceIntBuffer targets, DeviceBuffer losses,
      DeviceBuffer dLogits, int rows, int vocab, float gradScale) {
    enter();
    CudaBuffer bl = own(logits, "logits");
    CudaIntBuffer bt = ownInts(targets, "targets");
    CudaBuffer bls = own(losses, "losses");
    CudaBuffer bd = own(dLogits, "dLogits");
    Checks.sizes("crossEntropy", rows, vocab);
    Checks.dense(bl.length(), rows, vocab, "logits");
    Checks.dense(bd.length(), rows, vocab, "dLogits");
    Checks.count(rows, "targets/losses", bt.length(), bls.length());
    if (rows > 0 && vocab > 0) {
      launch(CudaKernel.CROSS_ENTROPY, rows, 1, 1, rowBlock(vocab), bl.ptr(), bt.ptr(), bls.ptr(), bd.ptr(),
          rows, vocab, gradScale);
    }
  }

  // ---------------------------------------------------------------- embedding

  @Override
  public void embeddingForward(DeviceBuffer table, DeviceIntBuffer ids, DeviceBuffer out, int rows,
      int dim) {
    enter();
    CudaBuffer bt = own(table, "table");
    CudaIntBuffer bi = ownInts(ids, "ids");
    CudaBuffer bo = own(out, "out");
    Checks.sizes("embeddingForward", rows, dim);
    Checks.count(rows, "ids", bi.length());
    Checks.dense(bo.length(), rows, dim, "out");
    long n = (long) rows * dim;
    if (n > 0) {
      launch1d(CudaKernel.EMBEDDING_FORWARD, n, bt.ptr(), bi.ptr(), bo.ptr(), rows, dim, vocab(bt, dim));
    }
  }

  @Override
  public void embeddingBackward(DeviceBuffer dOut, DeviceIntBuffer ids, DeviceBuffer dTable, int rows,
      int dim) {
    enter();
    CudaBuffer bd = own(dOut, "dOut");
    CudaIntBuffer bi = ownInts(ids, "ids");
    CudaBuffer bt = own(dTable, "dTable");
    Checks.sizes("embeddingBackward", rows, dim);
    Checks.count(rows, "ids", bi.length());
    Checks.dense(bd.length(), rows, dim, "dOut");
    if (rows > 0 && dim > 0) {
      launch(CudaKernel.EMBEDDING_BACKWARD, rows, 1, 1, rowBlock(dim), bd.ptr(), bi.ptr(), bt.ptr(), rows,
          dim, vocab(bt, dim));
    }
  }

  private static int vocab(CudaBuffer table, int dim) {
    return (int) Math.min(Integer.MAX_VALUE, dim == 0 ? 0 : table.length() / dim);
  }

  // ---------------------------------------------------------------- optimizers

  @Override
  public void adamw(long n, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v,
      float lr, float beta1, float beta2, float eps, float weightDecay, int step) {
    enter();
    if (step < 1) {
      throw new IllegalArgumentException("adamw step is 1-based, got " + step);
    }
    CudaBuffer bp = own(param, "param");
    CudaBuffer bg = own(grad, "grad");
    CudaBuffer bm = own(m, "m");
    CudaBuffer bv = own(v, "v");
    Checks.count(n, "adamw", bp.length(), bg.length(), bm.length(), bv.length());
    float bc1 = (float) (1.0 - Math.pow(beta1, step));
    float bc2 = (float) (1.0 - Math.pow(beta2, step));
    if (n > 0) {
      launch1d(CudaKernel.ADAMW, n, n, bp.ptr(), bg.ptr(), bm.ptr(), bv.ptr(), lr, beta1, beta2, eps,
          weightDecay, bc1, bc2);
    }
  }

  @Override
  public void sgd(long n, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer velocity, float lr,
      float momentum, float weightDecay) {
    enter();
    CudaBuffer bp = own(param, "param");
    CudaBuffer bg = own(grad, "grad");
    CudaBuffer bv = own(velocity, "velocity");
    Checks.count(n, "sgd", bp.length(), bg.length(), bv.length());
    if (n > 0) {
      launch1d(CudaKernel.SGD, n, n, bp.ptr(), bg.ptr(), bv.ptr(), lr, momentum, weightDecay);
    }
  }

  // ---------------------------------------------------------------- lifecycle

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (!awaitExecutor()) {
      LOG.warn("{}: compute still running {} s after close; its device memory is left to the driver",
          name(), CLOSE_WAIT_SECONDS);
      return;  // freeing pinned or device memory under a running kernel or copy would crash the JVM
    }
    try {
      JCudaDriver.cuCtxSetCurrent(context);
      if (streamCreated) {
        JCudaDriver.cuStreamSynchronize(stream);
      }
      for (Object b : live.toArray()) {
        CUdeviceptr p = b instanceof CudaBuffer cb ? cb.release() : ((CudaIntBuffer) b).release();
        JCudaDriver.cuMemFree(p);
      }
      live.clear();
      allocatedBytes = 0;
    } finally {
      executor.shutdown();
      release();
    }
  }

  /** Seconds {@link #close} waits for the executor's running op before giving up on freeing. */
  private static final long CLOSE_WAIT_SECONDS = 30;

  /**
   * Stops the executor and waits (bounded) for the op it runs; true when nothing runs any more.
   * Called from the executor itself (an op closing its own device) it cannot wait, and need not.
   */
  private boolean awaitExecutor() {
    executor.shutdown();
    if (Thread.currentThread() == computeThread) {
      return true;
    }
    try {
      return executor.awaitTermination(CLOSE_WAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Frees what the constructor acquired (also after a failed constructor). */
  private void release() {
    if (staging != null) {
      staging.close();
      staging = null;
    }
    if (scratch != null) {
      pool.release(scratch, 8L * (SUM_BLOCKS + 1));
      scratch = null;
    }
    if (contextRetained) {
      JCudaDriver.cuCtxSetCurrent(context);
      try {
        pool.trim();
      } catch (RuntimeException e) {
        LOG.warn("freeing cached device memory failed: {}", e.getMessage());
      }
    }
    if (streamCreated) {
      JCudaDriver.cuStreamDestroy(stream);
      streamCreated = false;
    }
    if (moduleLoaded) {
      JCudaDriver.cuModuleUnload(module);
      moduleLoaded = false;
    }
    if (contextRetained) {
      JCudaDriver.cuDevicePrimaryCtxRelease(device);
      contextRetained = false;
    }
  }

  // ---------------------------------------------------------------- helpers

  /** Every public op starts here: not closed, and the context current on this thread. */
  private void enter() {
    if (closed) {
      throw new IllegalStateException(name() + " is closed");
    }
    check(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
  }

  private CudaBuffer own(DeviceBuffer b, String what) {
    if (!(b instanceof CudaBuffer cb) || b.backend() != this) {
      throw new IllegalArgumentException(what + " belongs to another backend: " + b);
    }
    if (cb.isFreed()) {
      throw new IllegalArgumentException(what + " used after free");
    }
    return cb;
  }

  private CudaIntBuffer ownInts(DeviceIntBuffer b, String what) {
    if (!(b instanceof CudaIntBuffer cb) || b.backend() != this) {
      throw new IllegalArgumentException(what + " belongs to another backend: " + b);
    }
    if (cb.isFreed()) {
      throw new IllegalArgumentException(what + " used after free");
    }
    return cb;
  }

  private static CUdeviceptr at(CudaBuffer b, long offset) {
    return b.ptr().withByteOffset(4 * offset);
  }

  /** Threads per block for a kernel that gives one block to each row of {@code cols}. */
  static int rowBlock(int cols) {
    if (cols <= 32) {
      return 32;
    }
    if (cols <= 64) {
      return 64;
    }
    if (cols <= 128) {
      return 128;
    }
    return cols <= 4096 ? 256 : 512;
  }

  /** A grid-stride launch over {@code n} elements. */
  private void launch1d(CudaKernel k, long n, Object... args) {
    long wanted = (n + BLOCK - 1) / BLOCK;
    int blocks = (int) Math.max(1, Math.min(wanted, 32L * multiprocessors));
    launch(k, blocks, 1, 1, BLOCK, args);
  }

  private void launch(CudaKernel k, int gridX, int gridY, int gridZ, int block, Object... args) {
    check(JCudaDriver.cuLaunchKernel(functions.get(k), gridX, gridY, gridZ, block, 1, 1, 0, stream,
        k.params(args), null), "cuLaunchKernel", k.symbol);
  }
}
