package io.tandem.kernels;

/**
 * Blocked, packed GEMM on {@link CpuKernels} micro-kernels (the BLIS loop nest: column blocks of
 * {@link #NC}, depth blocks of {@link #KC}, row blocks of {@code mc}; B and A packed into
 * micro-panels, then a register-tiled micro-kernel per tile).
 *
 * <p>Determinism: every C element is owned by exactly one task, and its value is always
 * {@code beta * C}, then for each depth block in increasing order {@code C += alpha * sum}, with
 * the sum over that block in increasing depth order. Neither the task split nor the thread
 * count changes any of this, so results are bitwise independent of the thread count.
 */
final class CpuGemm {
  /** Depth of one packed block. */
  static final int KC = 256;
  /** Columns of one packed B block (rounded down to a multiple of nr). */
  static final int NC = 4096;
  /** Below this many flops a product runs on the calling thread only. */
  static final long PARALLEL_FLOPS = 1L << 22;

  /** One GEMM problem on raw arrays (already validated). */
  record Problem(boolean transA, boolean transB, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float beta, float[] c, int cOff, int ldc) {

    long flops() {
      return 2L * m * n * k;
    }
  }

  /** Per-thread packing buffers (grown on demand). */
  private static final class Scratch {
    float[] a = new float[0];
    float[] b = new float[0];

    float[] a(int size) {
      if (a.length < size) {
        a = new float[size];
      }
      return a;
    }

    float[] b(int size) {
      if (b.length < size) {
        b = new float[size];
      }
      return b;
    }
  }

  private final CpuKernels kern;
  private final CpuParallel par;
  private final int mr;
  private final int nr;
  private final int mc;
  private final int nc;
  private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

  CpuGemm(CpuKernels kern, CpuParallel par) {
    this.kern = kern;
    this.par = par;
    this.mr = kern.mr();
    this.nr = kern.nr();
    this.mc = Math.max(mr, 128 / mr * mr);
    this.nc = Math.max(nr, NC / nr * nr);
  }

  /** Runs one product, using all compute threads when it is big enough. */
  void gemm(Problem g) {
    run(g, g.flops() >= PARALLEL_FLOPS && par.threads() > 1);
  }

  /** Runs independent products; small ones are spread over threads one per task. */
  void gemmBatch(Problem[] problems, boolean disjointOutputs) {
    if (problems.length == 0) {
      return;
    }
    long flops = problems[0].flops();
    if (!disjointOutputs || flops >= PARALLEL_FLOPS || par.threads() == 1
        || flops * problems.length < PARALLEL_FLOPS / 4) {
      for (Problem p : problems) {
        gemm(p);
      }
      return;
    }
    par.forEach(problems.length, i -> run(problems[i], false));
  }

  private void run(Problem g, boolean parallel) {
    if (g.m == 0 || g.n == 0) {
      return;
    }
    if (g.k == 0 || g.alpha == 0f) {
      if (parallel) {
        par.forRange(g.m, Math.max(1, 16384 / g.n), (r0, r1) -> scaleC(g, r0, r1, 0, g.n));
      } else {
        scaleC(g, 0, g.m, 0, g.n);
      }
      return;
    }
    Scratch own = scratch.get();
    int mBlocks = (g.m + mc - 1) / mc;
    for (int jc = 0; jc < g.n; jc += nc) {
      int ncur = Math.min(nc, g.n - jc);
      int panels = (ncur + nr - 1) / nr;
      int nSplit = parallel ? Math.max(1, Math.min(panels, (2 * par.threads() + mBlocks - 1) / mBlocks)) : 1;
      int col0 = jc;
      for (int pc = 0; pc < g.k; pc += KC) {
        int kc = Math.min(KC, g.k - pc);
        int depth0 = pc;
        boolean first = pc == 0;
        float[] bp = own.b(panels * nr * kc);
        if (parallel) {
          par.forRange(panels, Math.max(1, 64 / Math.max(1, kc / 64)),
              (p0, p1) -> packB(g, depth0, kc, col0, ncur, p0, p1, bp));
          par.forEach(mBlocks * nSplit,
              t -> block(g, t / nSplit, t % nSplit, nSplit, panels, col0, ncur, depth0, kc, first, bp));
        } else {
          packB(g, depth0, kc, col0, ncur, 0, panels, bp);
          for (int ib = 0; ib < mBlocks; ib++) {
            block(g, ib, 0, 1, panels, col0, ncur, depth0, kc, first, bp);
          }
        }
      }
    }
  }

  /** One task: row block {@code ib}, the {@code js}-th of {@code nSplit} ranges of B panels. */
  private void block(Problem g, int ib, int js, int nSplit, int panels, int col0, int ncur,
      int depth0, int kc, boolean first, float[] bp) {
    int i0 = ib * mc;
    int rows = Math.min(mc, g.m - i0);
    int jp0 = (int) ((long) panels * js / nSplit);
    int jp1 = (int) ((long) panels * (js + 1) / nSplit);
    if (jp0 >= jp1) {
      return;
    }
    int cFrom = col0 + jp0 * nr;
    int cTo = col0 + Math.min(ncur, jp1 * nr);
    if (first) {
      scaleC(g, i0, i0 + rows, cFrom, cTo);
    }
    int rowPanels = (rows + mr - 1) / mr;
    float[] ap = scratch.get().a(rowPanels * mr * kc);
    packA(g, i0, rows, depth0, kc, ap);
    for (int jp = jp0; jp < jp1; jp++) {
      int j = jp * nr;
      int cols = Math.min(nr, ncur - j);
      int bo = jp * nr * kc;
      int cBase = g.cOff + i0 * g.ldc + col0 + j;
      for (int ip = 0; ip < rowPanels; ip++) {
        int r = ip * mr;
        kern.microKernel(kc, ap, ip * mr * kc, bp, bo, g.alpha, g.c, cBase + r * g.ldc, g.ldc,
            Math.min(mr, rows - r), cols);
      }
    }
  }

  /** {@code C[r][c] = beta * C[r][c]} on a sub-block; {@code beta == 0} writes zeros. */
  private static void scaleC(Problem g, int r0, int r1, int c0, int c1) {
    if (g.beta == 1f) {
      return;
    }
    for (int r = r0; r < r1; r++) {
      int o = g.cOff + r * g.ldc;
      if (g.beta == 0f) {
        java.util.Arrays.fill(g.c, o + c0, o + c1, 0f);
      } else {
        for (int j = c0; j < c1; j++) {
          g.c[o + j] *= g.beta;
        }
      }
    }
  }

  /**
   * Packs op(A)[i0 .. i0+rows) x [p0 .. p0+kc) into micro-panels of mr rows:
   * {@code ap[panel*mr*kc + p*mr + r]}, zero-padded to a whole panel.
   */
  private void packA(Problem g, int i0, int rows, int p0, int kc, float[] ap) {
    float[] a = g.a;
    int lda = g.lda;
    for (int ip = 0; ip * mr < rows; ip++) {
      int base = ip * mr * kc;
      int rBase = i0 + ip * mr;
      int live = Math.min(mr, rows - ip * mr);
      if (!g.transA) {
        for (int r = 0; r < mr; r++) {
          if (r < live) {
            int src = g.aOff + (rBase + r) * lda + p0;
            for (int p = 0; p < kc; p++) {
              ap[base + p * mr + r] = a[src + p];
            }
          } else {
            for (int p = 0; p < kc; p++) {
              ap[base + p * mr + r] = 0f;
            }
          }
        }
      } else {
        for (int p = 0; p < kc; p++) {
          int src = g.aOff + (p0 + p) * lda + rBase;
          int dst = base + p * mr;
          for (int r = 0; r < live; r++) {
            ap[dst + r] = a[src + r];
          }
          for (int r = live; r < mr; r++) {
            ap[dst + r] = 0f;
          }
        }
      }
    }
  }

  /**
   * Packs op(B)[p0 .. p0+kc) x [col0 + panel*nr ..) for panels {@code [jp0, jp1)} into
   * {@code bp[panel*nr*kc + p*nr + j]}, zero-padded to whole panels.
   */
  private void packB(Problem g, int p0, int kc, int col0, int ncur, int jp0, int jp1, float[] bp) {
    float[] b = g.b;
    int ldb = g.ldb;
    for (int jp = jp0; jp < jp1; jp++) {
      int base = jp * nr * kc;
      int j0 = col0 + jp * nr;
      int live = Math.min(nr, ncur - jp * nr);
      if (!g.transB) {
        for (int p = 0; p < kc; p++) {
          int src = g.bOff + (p0 + p) * ldb + j0;
          int dst = base + p * nr;
          System.arraycopy(b, src, bp, dst, live);
          for (int j = live; j < nr; j++) {
            bp[dst + j] = 0f;
          }
        }
      } else {
        for (int j = 0; j < nr; j++) {
          if (j < live) {
            int src = g.bOff + (j0 + j) * ldb + p0;
            for (int p = 0; p < kc; p++) {
              bp[base + p * nr + j] = b[src + p];
            }
          } else {
            for (int p = 0; p < kc; p++) {
              bp[base + p * nr + j] = 0f;
            }
          }
        }
      }
    }
  }
}
