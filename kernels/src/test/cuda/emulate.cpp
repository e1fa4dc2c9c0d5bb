// Host emulation of Tandem's CUDA kernels, for machines without a GPU: every CUDA thread of a
// block is an OS thread, __syncthreads is a barrier, warp shuffles and mma.sync go through
// per-warp scratch memory (mma.sync rebuilds the 16x8x8 tiles from the documented fragment
// layout). Blocks run one after another. Slow, but it executes the real kernel source, so
// indexing, tiling, bounds and reduction bugs show up. Run: bash kernels/src/test/cuda/emulate.sh
#include <atomic>
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <thread>
#include <vector>

struct uint3e { unsigned x = 0, y = 0, z = 0; };
thread_local uint3e threadIdx;
thread_local uint3e blockIdx;
uint3e blockDim;
uint3e gridDim;

static std::barrier<>* g_block_barrier;
static std::vector<std::unique_ptr<std::barrier<>>> g_warp_barriers;
static double g_warp_scratch[32][32];
static float g_mma_scratch[32][32][10];
static std::atomic<int> g_or;

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))
#define __launch_bounds__(...)
#define __restrict__ __restrict

struct float4 { float x, y, z, w; };

static void __syncthreads() { g_block_barrier->arrive_and_wait(); }

static int __syncthreads_or(int v) {
  __syncthreads();
  if (threadIdx.x == 0) g_or = 0;
  __syncthreads();
  if (v) g_or = 1;
  __syncthreads();
  int r = g_or.load();
  __syncthreads();
  return r;
}

template <typename T>
static T __shfl_xor_sync(unsigned, T v, int lanes) {
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  g_warp_scratch[warp][lane] = (double)v;
  g_warp_barriers[warp]->arrive_and_wait();
  T r = (T)g_warp_scratch[warp][lane ^ lanes];
  g_warp_barriers[warp]->arrive_and_wait();
  return r;
}

static unsigned __ballot_sync(unsigned, int predicate) {
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  g_warp_scratch[warp][lane] = predicate ? 1.0 : 0.0;
  g_warp_barriers[warp]->arrive_and_wait();
  unsigned r = 0;
  for (int l = 0; l < 32; ++l) r |= g_warp_scratch[warp][l] != 0.0 ? 1u << l : 0u;
  g_warp_barriers[warp]->arrive_and_wait();
  return r;
}

static int __popc(unsigned x) { return __builtin_popcount(x); }

using std::min;
static float rsqrtf(float x) { return 1.0f / std::sqrt(x); }

#define TANDEM_HOST_EMULATION 1
#include "../../main/cuda/common.cuh"
#include "../../main/cuda/elementwise.cu"
#include "../../main/cuda/embedding.cu"
#include "../../main/cuda/gemm.cu"
#include "../../main/cuda/gemm_tf32.cu"
#include "../../main/cuda/layernorm.cu"
#include "../../main/cuda/reduce.cu"
#include "../../main/cuda/softmax.cu"

// cvt.rna.tf32.f32: round to nearest (ties away) at 10 mantissa bits, low 13 bits zero.
unsigned tf32gemm::to_tf32(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  if ((u & 0x7f800000u) != 0x7f800000u) u = (u + 0x1000u) & 0xffffe000u;
  return u;
}

// mma.m16n8k8 tf32: lane = 4 * group + tig; A a0 (g, t), a1 (g+8, t), a2 (g, t+4), a3 (g+8, t+4);
// B b0 (k t, n g), b1 (k t+4, n g); C c[q] (g + 8 (q/2), 2t + q%2).
void tf32gemm::mma(float (&d)[4], const unsigned (&a)[4], const unsigned (&b)[2]) {
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  float* s = g_mma_scratch[warp][lane];
  for (int i = 0; i < 4; ++i) std::memcpy(&s[i], &a[i], 4);
  for (int i = 0; i < 2; ++i) std::memcpy(&s[4 + i], &b[i], 4);
  g_warp_barriers[warp]->arrive_and_wait();
  float A[16][8], B[8][8];
  for (int l = 0; l < 32; ++l) {
    const int g = l / 4, t = l % 4;
    const float* o = g_mma_scratch[warp][l];
    A[g][t] = o[0]; A[g + 8][t] = o[1]; A[g][t + 4] = o[2]; A[g + 8][t + 4] = o[3];
    B[t][g] = o[4]; B[t + 4][g] = o[5];
  }
  g_warp_barriers[warp]->arrive_and_wait();
  const int g = lane / 4, t = lane % 4;
  for (int q = 0; q < 4; ++q) {
    const int r = g + 8 * (q / 2), c = 2 * t + q % 2;
    float acc = d[q];
    for (int k = 0; k < 8; ++k) acc += A[r][k] * B[k][c];
    d[q] = acc;
  }
}

static void launch(uint3e grid, unsigned threads, const std::function<void()>& kernel) {
  gridDim = grid;
  blockDim = {threads, 1, 1};
  for (unsigned z = 0; z < grid.z; ++z)
    for (unsigned y = 0; y < grid.y; ++y)
      for (unsigned x = 0; x < grid.x; ++x) {
        std::barrier<> block(threads);
        g_block_barrier = &block;
        g_warp_barriers.clear();
        for (unsigned w = 0; w < (threads + 31) / 32; ++w)
          g_warp_barriers.push_back(std::make_unique<std::barrier<>>(std::min(32u, threads - 32 * w)));
        std::vector<std::thread> ts;
        for (unsigned t = 0; t < threads; ++t)
          ts.emplace_back([&, t] {
            threadIdx = {t, 0, 0};
            blockIdx = {x, y, z};
            kernel();
          });
        for (auto& th : ts) th.join();
      }
}

static std::mt19937 rng(7);
static std::vector<float> rnd(size_t n, float range = 1.0f) {
  std::uniform_real_distribution<float> u(-range, range);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

static int failures = 0;
static void report(const char* what, double err, double tol) {
  const bool ok = err <= tol;
  std::printf("%-48s err %.2e  %s\n", what, err, ok ? "ok" : "FAIL");
  if (!ok) ++failures;
}

// max |c - r| / (|r| + rms(r)), as BackendComparison.
static double error(const std::vector<float>& c, const std::vector<double>& r) {
  double sq = 0;
  for (double v : r) if (!std::isnan(v)) sq += v * v;
  const double rms = std::sqrt(sq / std::max<size_t>(1, r.size()));
  double worst = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    if (std::isnan(c[i]) != std::isnan(r[i])) return NAN;
    if (std::isnan(r[i])) continue;
    worst = std::max(worst, std::fabs(c[i] - r[i]) / (std::fabs(r[i]) + rms));
  }
  return worst;
}

static void check_gemm(bool tf32, bool ta, bool tb, int m, int n, int k, float alpha, float beta,
                       int batch) {
  const int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
  const int lda = aCols + 3, ldb = bCols + 5, ldc = n + 2;
  const long long sa = (long long)aRows * lda + 11, sb = (long long)bRows * ldb + 13,
                  sc = (long long)m * ldc + 17, aOff = 4, bOff = 6, cOff = 8;
  auto A = rnd(aOff + sa * batch), B = rnd(bOff + sb * batch), C = rnd(cOff + sc * batch);
  if (beta == 0) std::fill(C.begin(), C.end(), NAN);
  const std::vector<float> before = C;
  std::vector<double> ref;
  std::vector<float> got;
  for (int z = 0; z < batch; ++z)
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) {
        double s = 0;
        for (int p = 0; p < k; ++p) {
          const double a = ta ? A[aOff + z * sa + (long long)p * lda + i] : A[aOff + z * sa + (long long)i * lda + p];
          const double b = tb ? B[bOff + z * sb + (long long)j * ldb + p] : B[bOff + z * sb + (long long)p * ldb + j];
          s += a * b;
        }
        const double c = C[cOff + z * sc + (long long)i * ldc + j];
        ref.push_back(alpha * s + (beta == 0 ? 0.0 : beta * c));
      }
  auto fn = tf32 ? (ta ? (tb ? tf32gemm_tt : tf32gemm_tn) : (tb ? tf32gemm_nt : tf32gemm_nn))
                 : (ta ? (tb ? sgemm_tt : sgemm_tn) : (tb ? sgemm_nt : sgemm_nn));
  launch({(unsigned)(n + 127) / 128, (unsigned)(m + 127) / 128, (unsigned)batch}, 256, [&] {
    fn(m, n, k, alpha, A.data(), aOff, lda, sa, B.data(), bOff, ldb, sb, beta, C.data(), cOff, ldc, sc);
  });
  std::vector<float> outside = C;
  for (int z = 0; z < batch; ++z)
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) {
        const long long at = cOff + z * sc + (long long)i * ldc + j;
        got.push_back(C[at]);
        outside[at] = before[at];
      }
  // Cells outside the m x n matrices (offset, padding, gaps) must be untouched.
  const bool untouched = std::memcmp(outside.data(), before.data(), 4 * before.size()) == 0;
  char name[96];
  std::snprintf(name, sizeof name, "%s %c%c %dx%dx%d batch %d beta %g", tf32 ? "tf32gemm" : "sgemm",
                ta ? 't' : 'n', tb ? 't' : 'n', m, n, k, batch, beta);
  report(name, untouched ? error(got, ref) : INFINITY, tf32 ? 1e-2 : 1e-5);
}

static void check_rows() {
  const int rows = 37, cols = 300;
  auto x = rnd((size_t)rows * cols, 3.0f), g = rnd(cols), b = rnd(cols), dy = rnd((size_t)rows * cols);
  std::vector<float> y(rows * cols), mean(rows), rstd(rows), dx(rows * cols), dg(cols, 0.5f), db(cols, -0.25f);
  launch({rows, 1, 1}, 256, [&] { layernorm_f32(x.data(), g.data(), b.data(), y.data(), mean.data(), rstd.data(), rows, cols, 1e-5f); });
  launch({rows, 1, 1}, 256, [&] { layernorm_backward_input_f32(dy.data(), x.data(), g.data(), mean.data(), rstd.data(), dx.data(), rows, cols); });
  const int per = 8, chunks = (rows + per - 1) / per;
  std::vector<float> pg(chunks * cols), pb(chunks * cols);
  launch({(cols + 127) / 128, (unsigned)chunks, 1}, 128, [&] { layernorm_backward_weight_partial_f32(dy.data(), x.data(), mean.data(), rstd.data(), pg.data(), pb.data(), rows, cols, per); });
  launch({(cols + 127) / 128, 1, 1}, 128, [&] { column_sum_finish_f32(pg.data(), dg.data(), chunks, cols); });
  launch({(cols + 127) / 128, 1, 1}, 128, [&] { column_sum_finish_f32(pb.data(), db.data(), chunks, cols); });
  std::vector<double> ry(rows * cols), rdx(rows * cols), rdg(cols, 0.5), rdb(cols, -0.25);
  for (int r = 0; r < rows; ++r) {
    double mu = 0, var = 0;
    for (int c = 0; c < cols; ++c) mu += x[r * cols + c];
    mu /= cols;
    for (int c = 0; c < cols; ++c) var += (x[r * cols + c] - mu) * (x[r * cols + c] - mu);
    var /= cols;
    const double rs = 1 / std::sqrt(var + 1e-5);
    double mg = 0, mgx = 0;
    for (int c = 0; c < cols; ++c) {
      const double xh = (x[r * cols + c] - mu) * rs;
      ry[r * cols + c] = xh * g[c] + b[c];
      mg += dy[r * cols + c] * g[c];
      mgx += dy[r * cols + c] * g[c] * xh;
      rdg[c] += dy[r * cols + c] * xh;
      rdb[c] += dy[r * cols + c];
    }
    mg /= cols;
    mgx /= cols;
    for (int c = 0; c < cols; ++c) {
      const double xh = (x[r * cols + c] - mu) * rs;
      rdx[r * cols + c] = rs * (dy[r * cols + c] * g[c] - mg - xh * mgx);
    }
  }
  report("layernorm forward 37x300", error(y, ry), 1e-5);
  report("layernorm backward input", error(dx, rdx), 1e-5);
  report("layernorm backward weight (dGamma)", error(dg, rdg), 1e-5);
  report("layernorm backward weight (dBeta)", error(db, rdb), 1e-5);

  // causal softmax, then its backward
  const int count = 3, t = 37;
  auto s = rnd((size_t)count * t * t, 4.0f), dp = rnd((size_t)count * t * t);
  std::vector<float> p(count * t * t), ds(count * t * t);
  launch({(unsigned)(count * t), 1, 1}, 64, [&] { causal_softmax_f32(s.data(), p.data(), count * t, t, 0.5f); });
  launch({(unsigned)(count * t), 1, 1}, 64, [&] { softmax_backward_f32(p.data(), dp.data(), ds.data(), count * t, t, 0.5f); });
  std::vector<double> rp(count * t * t, 0.0), rds(count * t * t);
  for (int r = 0; r < count * t; ++r) {
    const int q = r % t;
    double mx = -INFINITY, sum = 0;
    for (int c = 0; c <= q; ++c) mx = std::max(mx, 0.5 * s[r * t + c]);
    for (int c = 0; c <= q; ++c) sum += std::exp(0.5 * s[r * t + c] - mx);
    for (int c = 0; c <= q; ++c) rp[r * t + c] = std::exp(0.5 * s[r * t + c] - mx) / sum;
    double dot = 0;
    for (int c = 0; c < t; ++c) dot += dp[r * t + c] * rp[r * t + c];
    for (int c = 0; c < t; ++c) rds[r * t + c] = 0.5 * rp[r * t + c] * (dp[r * t + c] - dot);
  }
  report("causal softmax 3x37x37", error(p, rp), 1e-5);
  report("softmax backward", error(ds, rds), 1e-5);

  // cross-entropy with an ignored row and a bad target
  const int vr = 6, vocab = 333;
  auto logits = rnd((size_t)vr * vocab, 5.0f);
  std::vector<int> tg = {3, -1, 332, 0, 400, 17};
  std::vector<float> loss(vr), dl(vr * vocab);
  launch({vr, 1, 1}, 256, [&] { cross_entropy_f32(logits.data(), tg.data(), loss.data(), dl.data(), vr, vocab, 0.5f); });
  std::vector<double> rl(vr), rdl(vr * vocab);
  for (int r = 0; r < vr; ++r) {
    if (tg[r] == -1) { rl[r] = 0; for (int c = 0; c < vocab; ++c) rdl[r * vocab + c] = 0; continue; }
    if (tg[r] < -1 || tg[r] >= vocab) { rl[r] = NAN; for (int c = 0; c < vocab; ++c) rdl[r * vocab + c] = NAN; continue; }
    double mx = -INFINITY, sum = 0;
    for (int c = 0; c < vocab; ++c) mx = std::max(mx, (double)logits[r * vocab + c]);
    for (int c = 0; c < vocab; ++c) sum += std::exp(logits[r * vocab + c] - mx);
    rl[r] = std::log(sum) + mx - logits[r * vocab + tg[r]];
    for (int c = 0; c < vocab; ++c)
      rdl[r * vocab + c] = 0.5 * (std::exp(logits[r * vocab + c] - mx) / sum - (c == tg[r]));
  }
  report("cross-entropy (ignored row, bad target -> NaN)", std::max(error(loss, rl), error(dl, rdl)), 1e-5);

  // embedding scatter-add with repeated ids, exact order
  const int er = 200, dim = 70, ev = 9;
  std::vector<int> ids(er);
  for (int i = 0; i < er; ++i) ids[i] = (int)(rng() % ev);
  ids[5] = -3;  // skipped
  auto dOut = rnd((size_t)er * dim), table = rnd((size_t)ev * dim);
  auto expect = table;
  for (int r = 0; r < er; ++r)
    if (ids[r] >= 0)
      for (int c = 0; c < dim; ++c) expect[ids[r] * dim + c] += dOut[r * dim + c];
  launch({er, 1, 1}, 128, [&] { embedding_backward_f32(dOut.data(), ids.data(), table.data(), er, dim, ev); });
  report("embedding scatter-add (bitwise CPU order)", std::memcmp(expect.data(), table.data(), 4 * table.size()) == 0 ? 0 : 1, 0);
  {  // many tiles per id (2 ids over 300 rows, 64 threads) and more columns than threads
    const int r2 = 300, d2 = 150, v2 = 2;
    std::vector<int> ids2(r2);
    for (int i = 0; i < r2; ++i) ids2[i] = (int)(rng() % v2);
    auto dOut2 = rnd((size_t)r2 * d2), table2 = rnd((size_t)v2 * d2);
    auto expect2 = table2;
    for (int r = 0; r < r2; ++r)
      for (int c = 0; c < d2; ++c) expect2[ids2[r] * d2 + c] += dOut2[r * d2 + c];
    launch({r2, 1, 1}, 64, [&] { embedding_backward_f32(dOut2.data(), ids2.data(), table2.data(), r2, d2, v2); });
    report("embedding scatter-add, multi-tile (bitwise CPU order)", std::memcmp(expect2.data(), table2.data(), 4 * table2.size()) == 0 ? 0 : 1, 0);
  }

  // sum of squares, two passes
  const long long n = 100003;
  auto v = rnd(n);
  std::vector<double> partial(1025);
  const int blocks = 13;
  launch({blocks, 1, 1}, 256, [&] { sum_squares_partial_f32(v.data(), n, partial.data()); });
  launch({1, 1, 1}, 256, [&] { sum_partials_f64(partial.data(), blocks, partial.data() + 1024); });
  double rs = 0;
  for (float f : v) rs += (double)f * f;
  report("sum of squares (double)", std::fabs(partial[1024] - rs) / rs, 1e-12);
}

static void check_elementwise() {
  const long long n = 1000;
  auto x = rnd(n, 4.0f), y0 = rnd(n), g = rnd(n), m0 = rnd(n, 0.1f), v0 = rnd(n, 0.01f);
  for (auto& v : v0) v = std::fabs(v) + 1e-4f;
  auto run1d = [&](const std::function<void()>& k) { launch({3, 1, 1}, 128, k); };  // grid-stride
  std::vector<float> y(n), dx(n), out(n);
  std::vector<double> ry(n), rdx(n);
  run1d([&] { gelu_f32(n, x.data(), y.data()); });
  run1d([&] { gelu_backward_f32(n, x.data(), y0.data(), dx.data()); });
  for (long long i = 0; i < n; ++i) {
    const double v = x[i], t = std::tanh(0.7978845608028654 * (v + 0.044715 * v * v * v));
    ry[i] = 0.5 * v * (1 + t);
    rdx[i] = y0[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * 0.7978845608028654 * (1 + 3 * 0.044715 * v * v));
  }
  report("gelu", error(y, ry), 1e-5);
  report("gelu backward", error(dx, rdx), 1e-5);

  auto p = y0, m = m0, v = v0;
  const float lr = 1e-2f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, wd = 0.1f;
  const float bc1 = 1 - std::pow(b1, 3), bc2 = 1 - std::pow(b2, 3);
  run1d([&] { adamw_f32(n, p.data(), g.data(), m.data(), v.data(), lr, b1, b2, eps, wd, bc1, bc2); });
  std::vector<double> rp(n), rm(n), rv(n);
  for (long long i = 0; i < n; ++i) {
    double pi = y0[i] - (double)lr * wd * y0[i];
    rm[i] = b1 * (double)m0[i] + (1 - b1) * (double)g[i];
    rv[i] = b2 * (double)v0[i] + (1 - b2) * (double)g[i] * g[i];
    rp[i] = pi - lr * (rm[i] / bc1) / (std::sqrt(rv[i] / bc2) + eps);
  }
  report("adamw (p, m, v)", std::max({error(p, rp), error(m, rm), error(v, rv)}), 1e-5);

  auto ps = y0, vel = m0;
  run1d([&] { sgd_f32(n, ps.data(), g.data(), vel.data(), 0.05f, 0.9f, 0.01f); });
  std::vector<double> rps(n), rvel(n);
  for (long long i = 0; i < n; ++i) {
    rvel[i] = 0.9 * m0[i] + g[i] + 0.01 * y0[i];
    rps[i] = y0[i] - 0.05 * rvel[i];
  }
  report("sgd (p, velocity)", std::max(error(ps, rps), error(vel, rvel)), 1e-5);

  auto a = y0, b = g;
  std::vector<double> rab(n);
  run1d([&] { fill_f32(out.data() + 10, n - 20, 2.5f); });
  run1d([&] { axpy_f32(n, -0.5f, x.data(), a.data()); });
  run1d([&] { add_f32(n, a.data(), b.data(), a.data()); });
  run1d([&] { scale_f32(n, 3.0f, a.data()); });
  bool fillOk = out[9] == 0 && out[10] == 2.5f && out[n - 11] == 2.5f && out[n - 10] == 0;
  for (long long i = 0; i < n; ++i) rab[i] = 3.0 * ((y0[i] - 0.5 * x[i]) + g[i]);
  report("fill, axpy, add (aliased), scale", fillOk ? error(a, rab) : INFINITY, 1e-6);

  const int rows = 130, cols = 70;
  auto mat = rnd(rows * cols), bias = rnd(cols), dbias = rnd(cols);
  auto mat2 = mat;
  launch({4, 1, 1}, 256, [&] { bias_add_f32(mat2.data(), bias.data(), rows, cols); });
  std::vector<double> rmat(rows * cols), rdb(dbias.begin(), dbias.end());
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      rmat[r * cols + c] = mat[r * cols + c] + (double)bias[c];
      rdb[c] += mat[r * cols + c];
    }
  const int per = 64, chunks = (rows + per - 1) / per;
  std::vector<float> partial(chunks * cols);
  launch({1, (unsigned)chunks, 1}, 128, [&] { column_sum_partial_f32(mat.data(), partial.data(), rows, cols, per); });
  launch({1, 1, 1}, 128, [&] { column_sum_finish_f32(partial.data(), dbias.data(), chunks, cols); });
  report("bias add", error(mat2, rmat), 1e-6);
  report("bias grad (two-pass column sums, accumulates)", error(dbias, rdb), 1e-5);

  auto sx = rnd(rows * cols, 5.0f);
  std::vector<float> sy(rows * cols);
  launch({rows, 1, 1}, 64, [&] { softmax_f32(sx.data(), sy.data(), rows, cols); });
  std::vector<double> rsy(rows * cols);
  for (int r = 0; r < rows; ++r) {
    double mx = -INFINITY, sum = 0;
    for (int c = 0; c < cols; ++c) mx = std::max(mx, (double)sx[r * cols + c]);
    for (int c = 0; c < cols; ++c) sum += std::exp(sx[r * cols + c] - mx);
    for (int c = 0; c < cols; ++c) rsy[r * cols + c] = std::exp(sx[r * cols + c] - mx) / sum;
  }
  report("softmax 130x70", error(sy, rsy), 1e-5);

  std::vector<int> ids = {2, 0, 2, 7, 1};
  auto table = rnd(5 * cols);
  std::vector<float> emb(5 * cols);
  launch({2, 1, 1}, 128, [&] { embedding_forward_f32(table.data(), ids.data(), emb.data(), 5, cols, 5); });
  bool embOk = true;
  for (int r = 0; r < 5; ++r)
    for (int c = 0; c < cols; ++c)
      embOk &= ids[r] < 5 ? emb[r * cols + c] == table[ids[r] * cols + c] : std::isnan(emb[r * cols + c]);
  report("embedding gather (bad id -> NaN row)", embOk ? 0 : 1, 0);

  auto src = rnd(n);
  std::vector<float> dst(n + 5, 0.0f);
  run1d([&] { copy_f32(src.data() + 3, dst.data() + 5, n - 3); });
  report("copy with offsets", std::memcmp(dst.data() + 5, src.data() + 3, 4 * (n - 3)) == 0 ? 0 : 1, 0);
}

int main() {
  for (int tf = 0; tf < 2; ++tf) {
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb) check_gemm(tf, ta, tb, 131, 77, 45, 0.7f, 0.3f, 1);
    check_gemm(tf, false, false, 128, 128, 16, 1.0f, 0.0f, 1);
    check_gemm(tf, false, true, 40, 33, 21, 1.5f, 0.5f, 2);
    check_gemm(tf, true, false, 9, 10, 0, 1.0f, 0.25f, 1);
  }
  check_rows();
  check_elementwise();
  std::printf(failures ? "%d FAILED\n" : "all ok\n", failures);
  return failures ? 1 : 0;
}
