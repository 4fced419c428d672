#include "kernels.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>

#include "buffer.h"
#include "cpu-dispatch.h"
#include "isa/heap.h"
#include "thread-pool.h"

namespace mk {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();


int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

int64_t scratch_floats(const IsaKernels* isa, int64_t d) {
  return (d * isa->mr + 16) + 16 + static_cast<int64_t>(isa->mr) * isa->nr + 64;
}

int64_t env_int(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  long long x = std::strtoll(v, &end, 10);
  return (end && *end == 0 && x >= 0) ? x : fallback;
}

// Tuning knobs (defaults measured on the project machine; the MK_TUNE_*
// variables exist for benchmarking only and are not a public interface).
const int64_t kStreamMaxQueries = env_int("MK_TUNE_STREAM_NQ", 8);
const int64_t kPackedQueryBytes = env_int("MK_TUNE_QBLOCK_BYTES", 4 << 20);
const int64_t kPrefetchFloats = env_int("MK_TUNE_PREFETCH", 1);  // 0 disables prefetching
const int64_t kHeapEntriesPerSlot = int64_t(1) << 20;

// How the database rows are split into tasks.
struct DbSplit {
  int64_t rows_per_task;
  int64_t ntasks;
};

DbSplit split_db(int64_t nb, int64_t granule, double flops_per_row) {
  const int64_t threads = get_num_threads();
  const int64_t groups = ceil_div(nb, granule);
  // aim for tasks of ~4 MFLOP (~30 us), and at least 4 tasks per thread when possible
  const double total = flops_per_row * static_cast<double>(nb);
  int64_t want = std::max<int64_t>(4 * threads, static_cast<int64_t>(total / 4e6));
  want = std::min(want, groups);
  const int64_t groups_per_task = std::max<int64_t>(1, ceil_div(groups, std::max<int64_t>(want, 1)));
  const int64_t rows = groups_per_task * granule;
  return {rows, ceil_div(nb, rows)};
}

// Rows per streaming task: ~256 KB of database.
DbSplit split_stream(int64_t nb, int64_t d, int64_t nq) {
  const int64_t threads = get_num_threads();
  int64_t rows = std::max<int64_t>(16, (int64_t(256) << 10) / (4 * d * std::max<int64_t>(1, nq / 4 + 1)));
  rows = std::max<int64_t>(4, std::min(rows, ceil_div(nb, 4 * threads)));
  rows = (rows + 3) & ~int64_t(3);
  return {rows, ceil_div(nb, rows)};
}

// Queries per block of the GEMM path: packed panels stay cache sized, heaps bounded.
int64_t query_block(const IsaKernels* isa, int64_t nq, int64_t d, int64_t heap_k) {
  const int64_t nr = isa->nr;
  int64_t qb = kPackedQueryBytes / (4 * d);
  if (heap_k > 0) qb = std::min(qb, kHeapEntriesPerSlot / heap_k);
  qb = std::max<int64_t>(nr, (qb / nr) * nr);
  return std::min(qb, ceil_div(nq, nr) * nr);
}

// Packs queries [q0, q0 + nq) and their norms (zero padded to whole panels).
struct PackedQueries {
  Buffer<float> panels, norms;
  int64_t npad = 0;
  void pack(const IsaKernels* isa, const float* xq, int64_t nq, int64_t d, bool l2) {
    const int64_t nr = isa->nr;
    npad = ceil_div(nq, nr) * nr;
    panels.reset(npad * d);
    norms.reset(npad);
    const int64_t np = npad / nr;
    parallel_for(np, 256, [&](int64_t p, int) {
      const int64_t q0 = p * nr;
      const int64_t n = std::min(nr, nq - q0);
      isa->pack_queries(xq + q0 * d, n, d, panels.get() + q0 * d);
      float* qn = norms.get() + q0;
      if (l2) isa->norms(xq + q0 * d, n, d, qn);
      for (int64_t i = (l2 ? n : 0); i < nr; i++) qn[i] = 0.0f;
    });
  }
};

// Per-slot top-k state for a block of queries.
struct SlotHeaps {
  Buffer<float> scores;
  Buffer<int64_t> ids;
  Buffer<float> thr;
  int64_t k = 0;
  void init(int64_t nq, int64_t npad, int64_t k_) {
    k = k_;
    scores.reset(nq * k);
    ids.reset(nq * k);
    thr.reset(npad);
    for (int64_t q = 0; q < nq; q++) heap::init(scores.get() + q * k, ids.get() + q * k, k);
    for (int64_t q = 0; q < npad; q++) thr.get()[q] = q < nq ? kInf : -kInf;
  }
};

void emit_heap(void* ctx, int64_t q, int64_t j, float score) {
  SlotHeaps* h = static_cast<SlotHeaps*>(ctx);
  float* s = h->scores.get() + q * h->k;
  int64_t* id = h->ids.get() + q * h->k;
  if (score < s[0]) {
    heap::replace_top(s, id, h->k, score, j);
    h->thr.get()[q] = s[0];
  }
}

void fill_padding(float* dist, int64_t* lab, int64_t count, int metric) {
  const float pad = metric == kMetricL2 ? kInf : -kInf;
  for (int64_t i = 0; i < count; i++) {
    dist[i] = pad;
    lab[i] = -1;
  }
}

// Squared norms of the queries for the streaming path (dot-product form, nq > 1).
std::vector<float> stream_query_norms(const IsaKernels* isa, const float* xq, int64_t nq, int64_t d, int metric) {
  std::vector<float> qn;
  if (metric == kMetricL2 && nq > 1) {
    qn.resize(nq);
    isa->norms(xq, nq, d, qn.data());
  }
  return qn;
}

}  // namespace

int64_t stream_max_queries() { return kStreamMaxQueries; }

void norms_l2sqr(const float* x, int64_t n, int64_t d, float* out) {
  if (n == 0) return;
  const IsaKernels* isa = current_isa();
  const DbSplit s = split_db(n, 64, 2.0 * d);
  parallel_for(s.ntasks, 256, [&](int64_t t, int) {
    const int64_t r0 = t * s.rows_per_task;
    const int64_t rows = std::min(s.rows_per_task, n - r0);
    isa->norms(x + r0 * d, rows, d, out + r0);
  });
}

void pairwise(const PairwiseParams& p) {
  if (p.nq == 0 || p.nb == 0) return;
  const IsaKernels* isa = current_isa();
  const int64_t d = p.d;
  if (p.nq <= kStreamMaxQueries) {
    const DbSplit s = split_stream(p.nb, d, p.nq);
    const std::vector<float> qn = stream_query_norms(isa, p.xq, p.nq, d, p.metric);
    parallel_for(s.ntasks, 256, [&](int64_t t, int) {
      const int64_t r0 = t * s.rows_per_task;
      StreamArgs a{};
      a.xq = p.xq;
      a.nq = p.nq;
      a.qnorms = qn.data();
      a.xb = p.xb + r0 * d;
      a.nrows = std::min(s.rows_per_task, p.nb - r0);
      a.j0 = r0;
      a.d = d;
      a.metric = p.metric;
      a.out = p.out;
      a.ldo = p.nb;
      isa->stream_rows(&a);
    });
    return;
  }
  const int64_t qb = query_block(isa, p.nq, d, 0);
  for (int64_t q0 = 0; q0 < p.nq; q0 += qb) {
    const int64_t nqb = std::min(qb, p.nq - q0);
    PackedQueries pq;
    pq.pack(isa, p.xq + q0 * d, nqb, d, p.metric == kMetricL2);
    const DbSplit s = split_db(p.nb, isa->mr, 2.0 * static_cast<double>(pq.npad) * d);
    const int slots = planned_slots(s.ntasks);
    Buffer<float> scratch(scratch_floats(isa, d) * slots);
    const int64_t stride = scratch_floats(isa, d);
    parallel_for(s.ntasks, slots, [&](int64_t t, int slot) {
      const int64_t r0 = t * s.rows_per_task;
      GemmArgs a{};
      a.qpanels = pq.panels.get();
      a.nq = nqb;
      a.qnorms = pq.norms.get();
      a.xb = p.xb + r0 * d;
      a.nrows = std::min(s.rows_per_task, p.nb - r0);
      a.j0 = r0;
      a.d = d;
      a.metric = p.metric;
      a.scratch = scratch.get() + stride * slot;
      a.prefetch = kPrefetchFloats;
      a.out = p.out + q0 * p.nb;
      a.ldo = p.nb;
      isa->gemm_rows(&a);
    });
  }
}

void knn(const KnnParams& p) {
  if (p.nq == 0) return;
  const int64_t keff = std::min(p.k, p.nb);
  if (keff == 0) {
    fill_padding(p.distances, p.labels, p.nq * p.k, p.metric);
    return;
  }
  const IsaKernels* isa = current_isa();
  const int64_t d = p.d;
  const bool l2 = p.metric == kMetricL2;
  const bool stream = p.nq <= kStreamMaxQueries;
  const int64_t qb = stream ? p.nq : query_block(isa, p.nq, d, keff);

  for (int64_t q0 = 0; q0 < p.nq; q0 += qb) {
    const int64_t nqb = std::min(qb, p.nq - q0);
    PackedQueries pq;
    DbSplit s;
    int64_t npad = nqb;
    std::vector<float> sqn;
    if (stream) {
      s = split_stream(p.nb, d, nqb);
      sqn = stream_query_norms(isa, p.xq + q0 * d, nqb, d, p.metric);
    } else {
      pq.pack(isa, p.xq + q0 * d, nqb, d, l2);
      npad = pq.npad;
      s = split_db(p.nb, isa->mr, 2.0 * static_cast<double>(npad) * d);
    }
    const int slots = planned_slots(s.ntasks);
    std::vector<SlotHeaps> heaps(slots);
    for (auto& h : heaps) h.init(nqb, npad, keff);
    const int64_t stride = stream ? 0 : scratch_floats(isa, d);
    Buffer<float> scratch(stride * slots);

    parallel_for(s.ntasks, slots, [&](int64_t t, int slot) {
      const int64_t r0 = t * s.rows_per_task;
      const int64_t rows = std::min(s.rows_per_task, p.nb - r0);
      SlotHeaps& h = heaps[slot];
      if (stream) {
        StreamArgs a{};
        a.xq = p.xq + q0 * d;
        a.nq = nqb;
        a.qnorms = sqn.data();
        a.xb = p.xb + r0 * d;
        a.nrows = rows;
        a.j0 = r0;
        a.d = d;
        a.metric = p.metric;
        a.thr = h.thr.get();
        a.emit = {&emit_heap, &h};
        isa->stream_rows(&a);
      } else {
        GemmArgs a{};
        a.qpanels = pq.panels.get();
        a.nq = nqb;
        a.qnorms = pq.norms.get();
        a.xb = p.xb + r0 * d;
        a.nrows = rows;
        a.j0 = r0;
        a.bnorms = (l2 && p.xb_norms) ? p.xb_norms + r0 : nullptr;
        a.d = d;
        a.metric = p.metric;
        a.scratch = scratch.get() + stride * slot;
        a.prefetch = kPrefetchFloats;
      a.prefetch = kPrefetchFloats;
        a.thr = h.thr.get();
        a.emit = {&emit_heap, &h};
        isa->gemm_rows(&a);
      }
    });

    // Merge the slots into slot 0 and write sorted results.
    const int64_t merge_tasks = ceil_div(nqb, 64);
    parallel_for(merge_tasks, 256, [&](int64_t t, int) {
      for (int64_t q = t * 64; q < std::min(nqb, t * 64 + 64); q++) {
        float* s0 = heaps[0].scores.get() + q * keff;
        int64_t* i0 = heaps[0].ids.get() + q * keff;
        for (int sl = 1; sl < slots; sl++) {
          const float* s1 = heaps[sl].scores.get() + q * keff;
          const int64_t* i1 = heaps[sl].ids.get() + q * keff;
          for (int64_t e = 0; e < keff; e++)
            if (i1[e] >= 0) heap::push(s0, i0, keff, s1[e], i1[e]);
        }
        heap::sort(s0, i0, keff);
        float* dist = p.distances + (q0 + q) * p.k;
        int64_t* lab = p.labels + (q0 + q) * p.k;
        for (int64_t e = 0; e < keff; e++) {
          if (i0[e] >= 0) {
            dist[e] = l2 ? s0[e] : 0.0f - s0[e];  // 0 - s: an inner product of 0 stays +0
            lab[e] = i0[e] + p.label_offset;
          } else {
            fill_padding(dist + e, lab + e, 1, p.metric);
          }
        }
        fill_padding(dist + keff, lab + keff, p.k - keff, p.metric);
      }
    });
  }
}

namespace {
struct Hit {
  int64_t q;
  int64_t j;
  float score;
};
void emit_hit(void* ctx, int64_t q, int64_t j, float score) {
  static_cast<std::vector<Hit>*>(ctx)->push_back({q, j, score});
}
}  // namespace

RangeResult range_search(const RangeParams& p) {
  RangeResult r;
  r.lims.assign(p.nq + 1, 0);
  if (p.nq == 0 || p.nb == 0) return r;
  const IsaKernels* isa = current_isa();
  const int64_t d = p.d;
  const bool l2 = p.metric == kMetricL2;
  const float limit = l2 ? p.radius : -p.radius;  // score < limit
  const bool stream = p.nq <= kStreamMaxQueries;
  const int64_t qb = stream ? p.nq : query_block(isa, p.nq, d, 0);

  for (int64_t q0 = 0; q0 < p.nq; q0 += qb) {
    const int64_t nqb = std::min(qb, p.nq - q0);
    PackedQueries pq;
    DbSplit s;
    int64_t npad = nqb;
    std::vector<float> sqn;
    if (stream) {
      s = split_stream(p.nb, d, nqb);
      sqn = stream_query_norms(isa, p.xq + q0 * d, nqb, d, p.metric);
    } else {
      pq.pack(isa, p.xq + q0 * d, nqb, d, l2);
      npad = pq.npad;
      s = split_db(p.nb, isa->mr, 2.0 * static_cast<double>(npad) * d);
    }
    const int slots = planned_slots(s.ntasks);
    Buffer<float> thr(npad);
    for (int64_t q = 0; q < npad; q++) thr.get()[q] = q < nqb ? limit : -kInf;
    const int64_t stride = stream ? 0 : scratch_floats(isa, d);
    Buffer<float> scratch(stride * slots);
    std::vector<std::vector<Hit>> hits(s.ntasks);

    parallel_for(s.ntasks, slots, [&](int64_t t, int slot) {
      const int64_t r0 = t * s.rows_per_task;
      const int64_t rows = std::min(s.rows_per_task, p.nb - r0);
      if (stream) {
        StreamArgs a{};
        a.xq = p.xq + q0 * d;
        a.nq = nqb;
        a.qnorms = sqn.data();
        a.xb = p.xb + r0 * d;
        a.nrows = rows;
        a.j0 = r0;
        a.d = d;
        a.metric = p.metric;
        a.thr = thr.get();
        a.emit = {&emit_hit, &hits[t]};
        isa->stream_rows(&a);
      } else {
        GemmArgs a{};
        a.qpanels = pq.panels.get();
        a.nq = nqb;
        a.qnorms = pq.norms.get();
        a.xb = p.xb + r0 * d;
        a.nrows = rows;
        a.j0 = r0;
        a.d = d;
        a.metric = p.metric;
        a.scratch = scratch.get() + stride * slot;
        a.prefetch = kPrefetchFloats;
      a.prefetch = kPrefetchFloats;
        a.thr = thr.get();
        a.emit = {&emit_hit, &hits[t]};
        isa->gemm_rows(&a);
      }
    });

    // Stable counting sort by query: tasks are in database order and, within a
    // task, each query's hits are in database order.
    std::vector<int64_t> count(nqb + 1, 0);
    for (const auto& v : hits)
      for (const Hit& h : v) count[h.q + 1]++;
    for (int64_t q = 0; q < nqb; q++) count[q + 1] += count[q];
    const int64_t base = static_cast<int64_t>(r.distances.size());
    r.distances.resize(base + count[nqb]);
    r.labels.resize(base + count[nqb]);
    std::vector<int64_t> pos(count.begin(), count.end() - 1);
    for (const auto& v : hits) {
      for (const Hit& h : v) {
        const int64_t at = base + pos[h.q]++;
        r.distances[at] = l2 ? h.score : 0.0f - h.score;
        r.labels[at] = h.j + p.label_offset;
      }
    }
    for (int64_t q = 0; q < nqb; q++) r.lims[q0 + q + 1] = base + count[q + 1];
  }
  return r;
}

namespace {
struct RowHeap {
  float* s;
  int64_t* id;
  int64_t k;
  float thr;
};
void emit_row(void* ctx, int64_t, int64_t j, float score) {
  RowHeap* h = static_cast<RowHeap*>(ctx);
  if (score < h->s[0]) {
    heap::replace_top(h->s, h->id, h->k, score, j);
    h->thr = h->s[0];
  }
}
}  // namespace

void topk(const TopkParams& p) {
  if (p.n == 0) return;
  const IsaKernels* isa = current_isa();
  const int64_t keff = std::min(p.k, p.m);
  const float sign = p.largest ? -1.0f : 1.0f;
  const float pad = p.largest ? -kInf : kInf;
  const int64_t rows_per_task = std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(1, p.m));
  parallel_for(ceil_div(p.n, rows_per_task), 256, [&](int64_t t, int) {
    const int64_t end = std::min(p.n, (t + 1) * rows_per_task);
    for (int64_t i = t * rows_per_task; i < end; i++) {
      float* s = p.out_values + i * p.k;
      int64_t* id = p.out_indices + i * p.k;
      if (keff > 0) {
        // The output row itself holds the heap (scores = sign * value).
        heap::init(s, id, keff);
        RowHeap h{s, id, keff, kInf};
        isa->scan_row(p.values + i * p.m, p.m, sign, &h.thr, {&emit_row, &h});
        heap::sort(s, id, keff);
        for (int64_t e = 0; e < keff; e++) {
          if (id[e] >= 0) s[e] = sign * s[e];
          else s[e] = pad;
        }
      }
      for (int64_t e = keff; e < p.k; e++) {
        s[e] = pad;
        id[e] = -1;
      }
    }
  });
}

}  // namespace mk
