// Grouped and bounded (Yinyang-style) k-means assignment; see kmeans.h.
//
// Layout: the centroids of each group are packed into the ISA's panels (nr
// centroids each, +inf padding), members in increasing centroid number so
// that "lower packed index" means "lower number" inside a group. Points go
// in blocks (one task each); inside a block, for every group, the points
// that need it are gathered by pointer (never copied) and run through the
// register tile against the group's panels, with a top-2 epilogue.
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
#include "kmeans.h"
#include "thread-pool.h"

namespace mk {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// The centroids packed group by group.
struct Layout {
  const KmeansIsaKernels* isa = nullptr;
  int64_t t = 0, npg = 0, nr = 0;
  Buffer<float> panels;  // t * npg panels of d * nr
  Buffer<float> cterm;   // t * npg * nr: |c|^2, +inf padding
  std::vector<int32_t> ids;                    // t * npg * nr: packed slot -> centroid number (-1 padding)
  std::vector<int32_t> group_of;               // k: centroid -> group
  Buffer<float> cnorm;   // k: |c|^2 in centroid order (the same bits as cterm)
  double cmax = 0.0;                           // max |c|^2 (+inf when not finite)
};

Layout build_layout(const float* c, int64_t k, int64_t d, const int32_t* groups, int64_t t, int64_t g, bool need_all) {
  Layout L;
  L.isa = kmeans_isa();
  L.t = t;
  L.nr = L.isa->nr;
  const int64_t nr = L.nr;
  L.group_of.assign(static_cast<size_t>(k), -1);
  std::vector<std::vector<int32_t>> members(static_cast<size_t>(t));
  int64_t largest = 1;
  for (int64_t j = 0; j < t; j++) {
    auto& m = members[static_cast<size_t>(j)];
    for (int64_t s = 0; s < g; s++) {
      const int32_t id = groups[j * g + s];
      if (id < 0) continue;
      if (id >= k) throw std::out_of_range("group slot " + std::to_string(j * g + s) + " holds " + std::to_string(id) + ", outside [0, " + std::to_string(k) + ")");
      if (L.group_of[static_cast<size_t>(id)] >= 0) throw std::invalid_argument("centroid " + std::to_string(id) + " appears in two group slots");
      L.group_of[static_cast<size_t>(id)] = static_cast<int32_t>(j);
      m.push_back(id);
    }
    std::sort(m.begin(), m.end());
    largest = std::max<int64_t>(largest, static_cast<int64_t>(m.size()));
  }
  if (need_all) {
    for (int64_t i = 0; i < k; i++)
      if (L.group_of[static_cast<size_t>(i)] < 0) throw std::invalid_argument("centroid " + std::to_string(i) + " is in no group");
  }
  L.npg = (largest + nr - 1) / nr;
  const int64_t slots = t * L.npg * nr;
  L.panels.reset(slots * d);
  L.cterm.reset(slots);
  L.ids.assign(static_cast<size_t>(slots), -1);
  L.cnorm.reset(k);
  // centroid norms, split over the pool
  const int64_t nchunks = (k + 255) / 256;
  parallel_for(nchunks, 256, [&](int64_t ch, int) {
    const int64_t c0 = ch * 256;
    const int64_t cn = std::min<int64_t>(256, k - c0);
    L.isa->norms(c + c0 * d, cn, d, L.cnorm.get() + c0);
  });
  double cmax = 0.0;
  for (int64_t i = 0; i < k; i++) {
    const double v = L.cnorm.get()[i];
    if (!(v <= std::numeric_limits<double>::max())) cmax = std::numeric_limits<double>::infinity();
    else cmax = std::max(cmax, v);
  }
  L.cmax = cmax;
  // panels: gather each group's members into a contiguous run, then pack
  parallel_for(t, 256, [&](int64_t j, int) {
    const auto& m = members[static_cast<size_t>(j)];
    const int64_t cnt = static_cast<int64_t>(m.size());
    std::vector<float> run(static_cast<size_t>(std::max<int64_t>(cnt, 1) * d));
    for (int64_t s = 0; s < cnt; s++) std::memcpy(run.data() + s * d, c + static_cast<int64_t>(m[static_cast<size_t>(s)]) * d, sizeof(float) * d);
    float* out = L.panels.get() + j * L.npg * nr * d;
    if (cnt > 0) L.isa->pack(run.data(), cnt, d, out);
    // panels pack() did not touch (an empty or short group): zeros
    const int64_t packed = cnt > 0 ? (cnt + nr - 1) / nr : 0;
    std::memset(out + packed * nr * d, 0, sizeof(float) * (L.npg - packed) * nr * d);
    float* ct = L.cterm.get() + j * L.npg * nr;
    int32_t* ids = L.ids.data() + j * L.npg * nr;
    for (int64_t s = 0; s < L.npg * nr; s++) {
      if (s < cnt) {
        ct[s] = L.cnorm.get()[m[static_cast<size_t>(s)]];
        ids[s] = m[static_cast<size_t>(s)];
      } else {
        ct[s] = kInf;
        ids[s] = -1;
      }
    }
  });
  return L;
}

// Blocks of points. A full search (every group) reuses each row t times: a
// block that stays in L2 with a group's panels. A pruned search reuses a row
// for a few groups only: larger blocks fill the register tiles of each group.
constexpr int64_t kBlockFull = 128;
constexpr int64_t kBlockPruned = 1024;

// Per-slot scratch of one block.
struct BlockScratch {
  std::vector<const float*> rows;   // kBlock
  std::vector<int32_t> who;         // kBlock: block-local point of each gathered row
  std::vector<float> xn;            // kBlock
  std::vector<float> b1, b2;        // kBlock: one group's results
  std::vector<int32_t> a1;          // kBlock
  Buffer<float> tile;  // rows_scratch_floats
  std::vector<float> zero;          // d
  // bounded only
  std::vector<const float*> crow;   // kBlock
  std::vector<float> ctown;         // kBlock
  std::vector<float> sown;          // kBlock
  std::vector<uint8_t> need;        // kBlock * t
  std::vector<float> gb1, gb2;      // kBlock * t: per point and group (scores)
  std::vector<int32_t> ga1;         // kBlock * t: packed slot within the group
  std::vector<int32_t> lists;       // kBlock * t: the points of each group
  std::vector<int32_t> offsets;     // t + 1
  std::vector<int32_t> fill;        // t
  std::vector<uint8_t> anyneed;     // kBlock: the point needs some group
};

void init_scratch(BlockScratch& s, const Layout& L, int64_t d, bool bounded, int64_t kBlock) {
  s.rows.resize(kBlock);
  s.who.resize(kBlock);
  s.xn.resize(kBlock);
  s.b1.resize(kBlock);
  s.b2.resize(kBlock);
  s.a1.resize(kBlock);
  s.tile.reset(L.isa->rows_scratch_floats(L.npg));
  s.zero.assign(static_cast<size_t>(d), 0.0f);
  if (bounded) {
    s.crow.resize(kBlock);
    s.ctown.resize(kBlock);
    s.sown.resize(kBlock);
    s.need.resize(static_cast<size_t>(kBlock * L.t));
    s.gb1.resize(static_cast<size_t>(kBlock * L.t));
    s.gb2.resize(static_cast<size_t>(kBlock * L.t));
    s.ga1.resize(static_cast<size_t>(kBlock * L.t));
    s.lists.resize(static_cast<size_t>(kBlock * L.t));
    s.offsets.resize(static_cast<size_t>(L.t + 1));
    s.fill.resize(static_cast<size_t>(L.t));
    s.anyneed.resize(static_cast<size_t>(kBlock));
  }
}

// Runs the gathered rows s.rows[0, cnt) against group j; results in s.b1/a1/b2 (scores).
void run_group(const Layout& L, int64_t d, int64_t j, int64_t cnt, BlockScratch& s, float m) {
  KmeansRowsArgs a{};
  a.rows = s.rows.data();
  a.n = cnt;
  a.d = d;
  a.zero = s.zero.data();
  a.panels = L.panels.get() + j * L.npg * L.nr * d;
  a.cterm = L.cterm.get() + j * L.npg * L.nr;
  a.npanels = L.npg;
  a.m = m;
  a.scratch = s.tile.get();
  a.best = s.b1.data();
  a.arg = s.a1.data();
  a.second = s.b2.data();
  L.isa->group_rows(&a);
}

inline float l2_distance(float xn, float score) {
  const float dist = xn + score;
  return dist < 0.0f ? 0.0f : dist;
}

// The largest float <= v (v finite or +inf); NaN stays NaN.
inline float float_down(double v) {
  float f = static_cast<float>(v);
  if (static_cast<double>(f) > v) f = std::nextafter(f, -kInf);
  return f;
}

// The smallest float >= v (v >= 0 or +inf); NaN stays NaN.
inline float float_up(double v) {
  float f = static_cast<float>(v);
  if (static_cast<double>(f) < v) f = std::nextafter(f, kInf);
  return f;
}

}  // namespace

void kmeans_assign_groups(const KmeansGroupsParams& p) {
  if (p.n == 0 || p.t == 0) return;
  const int64_t d = p.d, t = p.t;
  Layout L = build_layout(p.c, p.k, d, p.groups, t, p.g, false);
  const int64_t kBlock = p.mask ? kBlockPruned : kBlockFull;
  const int64_t ntasks = (p.n + kBlock - 1) / kBlock;
  const int slots = planned_slots(ntasks);
  std::vector<BlockScratch> scratch(static_cast<size_t>(slots));
  for (auto& s : scratch) init_scratch(s, L, d, false, kBlock);
  const int64_t slot_stride = L.npg * L.nr;
  parallel_for(ntasks, slots, [&](int64_t task, int slot) {
    BlockScratch& s = scratch[static_cast<size_t>(slot)];
    const int64_t r0 = task * kBlock;
    const int64_t bn = std::min(kBlock, p.n - r0);
    if (p.xnorms) std::memcpy(s.xn.data(), p.xnorms + r0, sizeof(float) * bn);
    else L.isa->norms(p.x + r0 * d, bn, d, s.xn.data());
    for (int64_t j = 0; j < t; j++) {
      int64_t cnt = 0;
      for (int64_t i = 0; i < bn; i++) {
        if (p.mask && !p.mask[(r0 + i) * t + j]) continue;
        s.rows[cnt] = p.x + (r0 + i) * d;
        s.who[cnt] = static_cast<int32_t>(i);
        cnt++;
      }
      if (cnt == 0) continue;
      run_group(L, d, j, cnt, s, -2.0f);
      for (int64_t q = 0; q < cnt; q++) {
        const int64_t i = s.who[q];
        const int64_t o = (r0 + i) * t + j;
        const int32_t a = s.a1[q];
        if (a < 0) {
          p.best[o] = kInf;
          p.labels[o] = -1;
          p.second[o] = kInf;
          continue;
        }
        p.best[o] = l2_distance(s.xn[i], s.b1[q]);
        p.labels[o] = L.ids[static_cast<size_t>(j * slot_stride + a)];
        p.second[o] = s.b2[q] < kInf ? l2_distance(s.xn[i], s.b2[q]) : kInf;
      }
    }
  });
}

KmeansBoundedStats kmeans_assign_bounded(const KmeansBoundedParams& p) {
  KmeansBoundedStats stats{0, 0};
  if (p.n == 0) return stats;
  const int64_t d = p.d, t = p.t, k = p.k;
  const bool first = p.drift == nullptr;
  if (!first) {
    for (int64_t i = 0; i < p.n; i++)
      if (p.labels[i] < 0 || p.labels[i] >= k)
        throw std::out_of_range("label " + std::to_string(p.labels[i]) + " of point " + std::to_string(i) + " is outside [0, " + std::to_string(k) + ")");
  }
  Layout L = build_layout(p.c, k, d, p.groups, t, p.g, true);
  // Rounding margin of a score s = |c|^2 - 2 <x, c> against its exact value:
  // |err| <= gam (|x| + |c|)^2 with gam = gamma_{d+4}; |x|^2 and |c|^2 are
  // known up to a factor (1 +- 2 gam). A margin this wide is a proof, not an
  // estimate (FMA chains of d terms, any order).
  const double u = std::ldexp(1.0, -24);
  double gam = static_cast<double>(d + 4) * u;
  const bool usable = gam < 0.25;
  gam = gam / (1.0 - gam);
  const double cmax_up = std::sqrt(L.cmax * (1.0 + 2.0 * gam));
  const int64_t slot_stride = L.npg * L.nr;
  // (per-slot scratch holds a few bytes per point and group of a block: at most ~2^18 of each)
  const int64_t kBlock = std::max<int64_t>(32, std::min<int64_t>(first ? kBlockFull : kBlockPruned, (int64_t(1) << 18) / t));
  const int64_t ntasks = (p.n + kBlock - 1) / kBlock;
  const int slots = planned_slots(ntasks);
  std::vector<BlockScratch> scratch(static_cast<size_t>(slots));
  for (auto& s : scratch) init_scratch(s, L, d, true, kBlock);
  // the drifts rounded up to float32
  std::vector<float> drift_up(static_cast<size_t>(first ? 0 : t));
  for (int64_t j = 0; j < (first ? 0 : t); j++) drift_up[static_cast<size_t>(j)] = float_up(p.drift[j]);
  std::vector<int64_t> pruned(static_cast<size_t>(ntasks), 0), evaluated(static_cast<size_t>(ntasks), 0);
  parallel_for(ntasks, slots, [&](int64_t task, int slot) {
    BlockScratch& s = scratch[static_cast<size_t>(slot)];
    const int64_t r0 = task * kBlock;
    const int64_t bn = std::min(kBlock, p.n - r0);
    if (p.xnorms) std::memcpy(s.xn.data(), p.xnorms + r0, sizeof(float) * bn);
    else L.isa->norms(p.x + r0 * d, bn, d, s.xn.data());
    // own scores, bit for bit those of the full assignment
    if (!first) {
      for (int64_t i = 0; i < bn; i++) {
        const int64_t own = p.labels[r0 + i];
        s.rows[i] = p.x + (r0 + i) * d;
        s.crow[i] = p.c + own * d;
        s.ctown[i] = L.cnorm.get()[own];
      }
      L.isa->pair_scores(s.rows.data(), s.crow.data(), s.ctown.data(), bn, d, -2.0f, s.sown.data());
    }
    // which groups each point needs, and how many points each group has
    int32_t* off = s.offsets.data();
    std::fill(off, off + t + 1, 0);
    int64_t npruned = 0;
    for (int64_t i = 0; i < bn; i++) {
      uint8_t* need = s.need.data() + i * t;
      float* lower = p.lower + (r0 + i) * t;
      const double xn = s.xn[i];
      const double ea = std::sqrt(std::max(0.0, xn) * (1.0 + 2.0 * gam)) + cmax_up;
      const double e = gam * (ea * ea) * (1.0 + 1e-9);
      if (first) {
        std::memset(need, 1, static_cast<size_t>(t));
        s.anyneed[i] = 1;
        for (int64_t j = 0; j < t; j++) off[j + 1]++;
        continue;
      }
      const double thr = std::sqrt(std::max(0.0, xn * (1.0 + 2.0 * gam) + s.sown[i] + e)) * (1.0 + 1e-12);
      // NaN / +inf threshold: nothing is pruned
      const float thr_up = usable && std::isfinite(thr) && std::isfinite(e) ? float_up(thr) : kInf;
      const float* du = drift_up.data();
      uint8_t any = 0;
      for (int64_t j = 0; j < t; j++) {
        // lower - drift rounded down: the float difference is within 2^-24 of the exact one, two more ulps
        // below it is a lower bound; tiny, negative or NaN bounds become 0 (a distance is >= 0)
        float v = lower[j] - du[j];
        const float w = v - std::fabs(v) * 0x1p-22f;
        v = v == kInf ? v : w;  // +inf (a group with no other centroid) stays +inf
        v = v > 0x1p-100f ? v : 0.0f;
        lower[j] = v;
        const uint8_t nj = !(v > thr_up);
        need[j] = nj;
        off[j + 1] += nj;
        any |= nj;
      }
      s.anyneed[i] = any;
      if (!any) npruned++;
    }
    pruned[static_cast<size_t>(task)] = npruned;
    // the points of each group
    for (int64_t j = 0; j < t; j++) off[j + 1] += off[j];
    {
      int32_t* fill = s.fill.data();
      std::copy(off, off + t, fill);
      for (int64_t i = 0; i < bn; i++) {
        if (!s.anyneed[i]) continue;
        const uint8_t* need = s.need.data() + i * t;
        for (int64_t j = 0; j < t; j++)
          if (need[j]) s.lists[fill[j]++] = static_cast<int32_t>(i);
      }
    }
    // group by group: gather the points that need it
    int64_t nevaluated = 0;
    for (int64_t j = 0; j < t; j++) {
      const int64_t cnt = off[j + 1] - off[j];
      if (cnt == 0) continue;
      for (int64_t q = 0; q < cnt; q++) {
        const int32_t i = s.lists[off[j] + q];
        s.rows[q] = p.x + (r0 + i) * d;
        s.who[q] = i;
      }
      nevaluated += cnt;
      run_group(L, d, j, cnt, s, -2.0f);
      for (int64_t q = 0; q < cnt; q++) {
        const int64_t i = s.who[q];
        s.gb1[i * t + j] = s.b1[q];
        s.ga1[i * t + j] = s.a1[q];
        s.gb2[i * t + j] = s.b2[q];
      }
    }
    evaluated[static_cast<size_t>(task)] = nevaluated;
    // merge: the own centroid (exact score) against every computed group, ties to the lower number
    for (int64_t i = 0; i < bn; i++) {
      if (!s.anyneed[i]) {  // every group pruned: the own centroid stands
        p.distances[r0 + i] = l2_distance(s.xn[i], s.sown[i]);
        continue;
      }
      const uint8_t* need = s.need.data() + i * t;
      float* lower = p.lower + (r0 + i) * t;
      const double xn = s.xn[i];
      const double ea = std::sqrt(std::max(0.0, xn) * (1.0 + 2.0 * gam)) + cmax_up;
      const double e = gam * (ea * ea) * (1.0 + 1e-9);
      const int64_t old = first ? -1 : p.labels[r0 + i];
      float best = first ? kInf : s.sown[i];
      int64_t arg = first ? -1 : old;
      if (!first && !(best < kInf)) {  // the own score is not comparable (NaN / +inf): as the full search, it cannot win
        best = kInf;
        arg = -1;
      }
      for (int64_t j = 0; j < t; j++) {
        if (!need[j]) continue;
        const int32_t a = s.ga1[i * t + j];
        if (a < 0) continue;
        const float v = s.gb1[i * t + j];
        const int64_t id = L.ids[static_cast<size_t>(j * slot_stride + a)];
        if (v < best || (v == best && id < arg)) {
          best = v;
          arg = id;
        }
      }
      // a pruned group (the own one included) holds nothing that beats the own centroid
      p.labels[r0 + i] = arg;
      p.distances[r0 + i] = arg < 0 ? kInf : l2_distance(s.xn[i], best);
      // bounds of the computed groups, excluding the (new) assigned centroid
      auto lower_of = [&](float score) -> float {
        if (!(score < kInf)) return score;  // +inf stays +inf (never a candidate); NaN keeps the group needed
        const double v = std::sqrt(std::max(0.0, xn * (1.0 - 2.0 * gam) + static_cast<double>(score) - e)) * (1.0 - 1e-12);
        return float_down(v);
      };
      for (int64_t j = 0; j < t; j++) {
        if (!need[j]) continue;
        const int32_t a = s.ga1[i * t + j];
        const int64_t id = a < 0 ? -1 : L.ids[static_cast<size_t>(j * slot_stride + a)];
        lower[j] = lower_of(id >= 0 && id == arg ? s.gb2[i * t + j] : s.gb1[i * t + j]);
      }
      // the old centroid left for another group's: its group's bound must now include it
      if (!first && old >= 0 && arg != old) {
        const int32_t go = L.group_of[static_cast<size_t>(old)];
        if (!need[go]) lower[go] = std::min(lower[go], lower_of(s.sown[i]));
      }
    }
  });
  for (int64_t q = 0; q < ntasks; q++) {
    stats.pruned += pruned[static_cast<size_t>(q)];
    stats.evaluated += evaluated[static_cast<size_t>(q)];
  }
  return stats;
}

}  // namespace mk
