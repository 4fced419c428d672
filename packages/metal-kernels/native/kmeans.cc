#include "kmeans.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "buffer.h"
#include "cpu-dispatch.h"
#include "isa/kmeans-isa.h"
#include "thread-pool.h"

namespace mk {


void kmeans_update(const KmeansUpdateParams& p) {
  const int64_t n = p.n, d = p.d, k = p.k;
  const KmeansIsaKernels* isa = kmeans_isa();
  for (int64_t i = 0; i < n; i++) {
    if (p.assign[i] < 0 || p.assign[i] >= k)
      throw std::out_of_range("assignment " + std::to_string(p.assign[i]) + " of vector " + std::to_string(i) +
                              " is outside [0, " + std::to_string(k) + ")");
  }
  // Centroid ranges: a few per thread, so that uneven clusters still balance;
  // every task reads the whole assignment but only its own vectors.
  const int64_t threads = get_num_threads();
  const int64_t ntasks = std::max<int64_t>(1, std::min<int64_t>(k, threads * 4));
  parallel_for(ntasks, 256, [&](int64_t t, int) {
    const int64_t c0 = k * t / ntasks;
    const int64_t c1 = k * (t + 1) / ntasks;
    if (c1 <= c0) return;
    std::vector<double> sums(static_cast<size_t>((c1 - c0) * d), 0.0);
    std::vector<double> wsum(static_cast<size_t>(c1 - c0), 0.0);
    if (!p.weights) {
      isa->accumulate(p.x, p.assign, n, d, c0, c1, sums.data(), wsum.data());  // at the CPU's SIMD width
    } else {
      for (int64_t i = 0; i < n; i++) {
        const int64_t c = p.assign[i];
        if (c < c0 || c >= c1) continue;
        double* s = sums.data() + (c - c0) * d;
        const float* xi = p.x + i * d;
        const double w = p.weights[i];
        wsum[c - c0] += w;
        for (int64_t j = 0; j < d; j++) s[j] += static_cast<double>(xi[j]) * w;
      }
    }
    for (int64_t c = c0; c < c1; c++) {
      const double w = wsum[c - c0];
      p.counts[c] = static_cast<float>(w);
      float* out = p.centroids + c * d;
      if (w == 0.0) {
        std::memset(out, 0, sizeof(float) * d);
        continue;
      }
      const double* s = sums.data() + (c - c0) * d;
      for (int64_t j = 0; j < d; j++) out[j] = static_cast<float>(s[j] / w);
    }
  });
}

const KmeansIsaKernels* kmeans_isa() {
  const char* name = current_isa()->name;
#if defined(__x86_64__) || defined(_M_X64)
  if (std::strcmp(name, "avx512") == 0) return kmeans_isa_avx512();
  if (std::strcmp(name, "avx2") == 0) return kmeans_isa_avx2();
#endif
  return kmeans_isa_generic();
}


void kmeans_assign(const KmeansAssignParams& p) {
  if (p.n == 0) return;
  const KmeansIsaKernels* isa = kmeans_isa();
  const int64_t d = p.d, k = p.k, nr = isa->nr;
  const bool l2 = p.metric == 1;
  const int64_t npanels = (k + nr - 1) / nr;
  auto panels = Buffer<float>(npanels * nr * d);
  auto cterm = Buffer<float>(npanels * nr);
  // packing and centroid norms: O(k * d), split over the pool
  parallel_for(npanels, 256, [&](int64_t t, int) {
    const int64_t c0 = t * nr;
    const int64_t cn = std::min(nr, k - c0);
    isa->pack(p.c + c0 * d, cn, d, panels.get() + t * nr * d);
    float* ct = cterm.get() + c0;
    if (l2) isa->norms(p.c + c0 * d, cn, d, ct);
    else for (int64_t j = 0; j < cn; j++) ct[j] = 0.0f;
    for (int64_t j = cn; j < nr; j++) ct[j] = std::numeric_limits<float>::infinity();
  });
  // point blocks: a few register tiles each, so that a block's rows and a
  // chunk of panels stay in L2 together
  const int64_t block = static_cast<int64_t>(isa->mr) * 8;
  const int64_t ntasks = (p.n + block - 1) / block;
  const int slots = planned_slots(ntasks);
  // per slot: the ISA's scratch, then best (block floats), point norms (block), arg (block int64s)
  const int64_t own = (isa->scratch_floats(d, block) + 15) & ~int64_t(15);
  const int64_t stride = own + ((block * 4 + 15) & ~int64_t(15));
  auto scratch = Buffer<float>(stride * slots);
  const float m = l2 ? -2.0f : -1.0f;
  parallel_for(ntasks, slots, [&](int64_t t, int slot) {
    const int64_t r0 = t * block;
    const int64_t n = std::min(block, p.n - r0);
    float* s = scratch.get() + stride * slot;
    float* best = s + own;
    float* xn = best + block;
    int64_t* arg = reinterpret_cast<int64_t*>(xn + block);  // 8-byte aligned: own and block are multiples of 8
    KmeansBlockArgs a{};
    a.x = p.x + r0 * d;
    a.n = n;
    a.d = d;
    a.panels = panels.get();
    a.cterm = cterm.get();
    a.npanels = npanels;
    a.m = m;
    a.scratch = s;
    a.best = best;
    a.arg = arg;
    isa->assign_block(&a);
    if (l2 && !p.xnorms) isa->norms(p.x + r0 * d, n, d, xn);
    for (int64_t i = 0; i < n; i++) {
      const int64_t j = arg[i];
      if (j < 0 || j >= k) {  // no comparable centroid (NaN scores)
        p.distances[r0 + i] = l2 ? std::numeric_limits<float>::infinity() : -std::numeric_limits<float>::infinity();
        p.labels[r0 + i] = -1;
        continue;
      }
      p.labels[r0 + i] = p.ids ? p.ids[j] : j;
      if (l2) {
        const float dist = (p.xnorms ? p.xnorms[r0 + i] : xn[i]) + best[i];
        p.distances[r0 + i] = dist < 0.0f ? 0.0f : dist;
      } else {
        p.distances[r0 + i] = -best[i] + 0.0f;  // +0.0f: an inner product of 0 is +0
      }
    }
  });
}

}  // namespace mk
