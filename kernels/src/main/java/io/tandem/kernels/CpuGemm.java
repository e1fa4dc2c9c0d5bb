package io.tandem.kernels;

/**
 * Blocked, packed GEMM on {@link CpuKernels} micro-kernels (the BLIS loop nest: column blocks of
 * {@link #NC}, depth blocks of {@link #KC}, row blocks of {@code mc}; B and A packed into
 * micro-panels, then a register-tiled micro-kernel per tile). A multithreaded product is cut
 * into independent C tiles, one task each, with no barrier until the end.
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
    if (!parallel) {
      tile(g, 0, g.m, 0, g.n);
      return;
    }
    // Independent C tiles, one task each, about two per thread; each task packs its own A and
    // B, so the split keeps rows/splitM close to cols/splitN (least repacking in total).
    int target = 2 * par.threads();
    int rowUnits = (g.m + mr - 1) / mr;
    int colUnits = (g.n + nr - 1) / nr;
    int maxM = Math.max(1, Math.min(rowUnits, g.m / 32));
    int maxN = Math.max(1, Math.min(colUnits, g.n / 32));
    int splitM = Math.max(1, Math.min(Math.min(target, maxM),
        (int) Math.round(Math.sqrt((double) target * g.m / g.n))));
    int splitN = Math.max(1, Math.min(maxN, (target + splitM - 1) / splitM));
    par.forEach(splitM * splitN, t -> {
      int im = t / splitN;
      int in = t % splitN;
      int r0 = Math.min(g.m, (int) ((long) rowUnits * im / splitM) * mr);
      int r1 = Math.min(g.m, (int) ((long) rowUnits * (im + 1) / splitM) * mr);
      int c0 = Math.min(g.n, (int) ((long) colUnits * in / splitN) * nr);
      int c1 = Math.min(g.n, (int) ((long) colUnits * (in + 1) / splitN) * nr);
      tile(g, r0, r1, c0, c1);
    });
  }

  /** C[r0 .. r1) x [c0 .. c1): the whole blocked loop nest on one thread. */
  private void tile(Problem g, int r0, int r1, int c0, int c1) {
    if (r0 >= r1 || c0 >= c1) {
      return;
    }
    Scratch s = scratch.get();
    for (int jc = c0; jc < c1; jc += nc) {
      int ncur = Math.min(nc, c1 - jc);
      int panels = (ncur + nr - 1) / nr;
      for (int pc = 0; pc < g.k; pc += KC) {
        int kc = Math.min(KC, g.k - pc);
        float[] bp = s.b(panels * nr * kc);
        packB(g, pc, kc, jc, ncur, panels, bp);
        for (int i0 = r0; i0 < r1; i0 += mc) {
          int rows = Math.min(mc, r1 - i0);
          if (pc == 0) {
            scaleC(g, i0, i0 + rows, jc, jc + ncur);
          }
          int rowPanels = (rows + mr - 1) / mr;
          float[] ap = s.a(rowPanels * mr * kc);
          packA(g, i0, rows, pc, kc, ap);
          for (int jp = 0; jp < panels; jp++) {
            int j = jp * nr;
            int cols = Math.min(nr, ncur - j);
            int bo = jp * nr * kc;
            int cBase = g.cOff + i0 * g.ldc + jc + j;
            for (int ip = 0; ip < rowPanels; ip++) {
              int r = ip * mr;
              kern.microKernel(kc, ap, ip * mr * kc, bp, bo, g.alpha, g.c, cBase + r * g.ldc,
                  g.ldc, Math.min(mr, rows - r), cols);
            }
          }
        }
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
   * Packs op(B)[p0 .. p0+kc) x [col0 .. col0+ncur) into {@code panels} micro-panels of nr
   * columns, {@code bp[panel*nr*kc + p*nr + j]}, zero-padded to whole panels.
   */
  private void packB(Problem g, int p0, int kc, int col0, int ncur, int panels, float[] bp) {
    float[] b = g.b;
    int ldb = g.ldb;
    for (int jp = 0; jp < panels; jp++) {
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
