// IVF-Flat scans. The (query, list) pairs of a batch are grouped by list, so
// each probed list is streamed once for all the queries that probe it: a
// small GEMM (list rows x those queries) on per-ISA register tiles
// (isa/ivf-*.cc, picked at the dispatcher's SIMD level) that read the list
// rows and the queries in place: nothing is packed. Tasks (list, query chunk, row
// chunk) are sorted by cost and spread over the thread pool; every thread
// keeps its own top-k heaps for the queries of the block, merged at the end.
#include "ivf.h"

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
#include "isa/heap.h"
#include "isa/ivf-isa.h"
#include "thread-pool.h"

namespace mk {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// Scratch that grows and is reused: reallocated only when a call needs more.
template <typename T>
struct Aligned {
  Buffer<T> buf;
  int64_t n = 0;
  void reset(int64_t count) {
    if (count <= n && buf.get()) return;
    buf.reset(count);
    n = count;
  }
  T* get() const { return buf.get(); }
};

int64_t env_int(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  long long x = std::strtoll(v, &end, 10);
  return (end && *end == 0 && x >= 0) ? x : fallback;
}

// Tuning knobs (MK_TUNE_* exist for benchmarking only; not a public interface).
// Target work per task (flops), and the most queries of one list a task takes
// (their vectors stay in L2 while the list rows stream past them).
const int64_t kTaskFlops = env_int("MK_TUNE_IVF_TASK_FLOPS", 3000000);
const int64_t kChunkQueries = std::max<int64_t>(1, env_int("MK_TUNE_IVF_CHUNK_QUERIES", 64));
// Heap entries per thread slot: bounds the query block.
constexpr int64_t kHeapEntriesPerSlot = int64_t(1) << 20;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// The pairs of one query block, grouped by list (counting sort).
struct Pairs {
  std::vector<int64_t> start;    // nlist + 1
  std::vector<int32_t> query;    // block-local query of each pair
  std::vector<int32_t> rank;     // probe rank of each pair
  std::vector<int32_t> lists;    // lists with at least one pair, in increasing order

  void build(const IvfScanParams& p, int64_t q0, int64_t nqb) {
    start.assign(p.nlist + 1, 0);
    for (int64_t q = 0; q < nqb; q++) {
      const int64_t* row = p.coarse + (q0 + q) * p.nprobe;
      for (int64_t r = 0; r < p.nprobe; r++) {
        const int64_t key = row[r];
        if (key < 0) continue;
        if (key >= p.nlist) throw std::out_of_range("coarse list number " + std::to_string(key) + " >= nlist");
        if (p.sizes[key] > 0) start[key + 1]++;
      }
    }
    lists.clear();
    for (int64_t l = 0; l < p.nlist; l++) {
      if (start[l + 1] > 0) lists.push_back(static_cast<int32_t>(l));
      start[l + 1] += start[l];
    }
    query.resize(start[p.nlist]);
    rank.resize(start[p.nlist]);
    std::vector<int64_t> pos(start.begin(), start.end() - 1);
    for (int64_t q = 0; q < nqb; q++) {
      const int64_t* row = p.coarse + (q0 + q) * p.nprobe;
      for (int64_t r = 0; r < p.nprobe; r++) {
        const int64_t key = row[r];
        if (key < 0 || p.sizes[key] == 0) continue;
        const int64_t at = pos[key]++;
        query[at] = static_cast<int32_t>(q);
        rank[at] = static_cast<int32_t>(r);
      }
    }
  }
};

// The per-ISA loops at the dispatcher's current level (setSimd applies here too).
const IvfIsaKernels* ivf_isa() {
  const char* name = current_isa()->name;
#if defined(__x86_64__) || defined(_M_X64)
  if (std::strcmp(name, "avx512") == 0) return ivf_isa_avx512();
  if (std::strcmp(name, "avx2") == 0) return ivf_isa_avx2();
#endif
  return ivf_isa_generic();
}

struct Task {
  int32_t list;
  int64_t pair0;    // first pair of the query chunk
  int64_t npairs;   // queries in the chunk
  int64_t r0, nrows;
  double cost;
};

std::vector<Task> plan_tasks(const IvfScanParams& p, const Pairs& pairs, const IvfIsaKernels* isa) {
  std::vector<Task> tasks;
  const int64_t d = p.d;
  const int64_t granule = isa->rows;
  for (int32_t l : pairs.lists) {
    const int64_t m = p.sizes[l];
    const int64_t cnt = pairs.start[l + 1] - pairs.start[l];
    for (int64_t c0 = 0; c0 < cnt; c0 += kChunkQueries) {
      const int64_t nc = std::min(kChunkQueries, cnt - c0);
      // rows per task: ~kTaskFlops of work, at least a few row tiles, whole tiles
      int64_t rows = kTaskFlops / std::max<int64_t>(1, 2 * nc * d);
      rows = std::max<int64_t>(rows, 4 * granule);
      rows = ceil_div(rows, granule) * granule;
      const int64_t ntask_rows = std::max<int64_t>(1, (m + rows / 2) / rows);  // no tiny last task
      const int64_t per = ceil_div(ceil_div(m, ntask_rows), granule) * granule;
      for (int64_t r0 = 0; r0 < m; r0 += per) {
        Task t;
        t.list = l;
        t.pair0 = pairs.start[l] + c0;
        t.npairs = nc;
        t.r0 = r0;
        t.nrows = std::min(per, m - r0);
        t.cost = static_cast<double>(nc) * static_cast<double>(t.nrows) * static_cast<double>(d);
        tasks.push_back(t);
      }
    }
  }
  std::stable_sort(tasks.begin(), tasks.end(), [](const Task& a, const Task& b) { return a.cost > b.cost; });
  return tasks;
}

// Per-thread state.
struct Slot {
  std::vector<const float*> qptr;
  std::vector<float> qnorms, thr;
  // top-k mode
  Aligned<float> scores;
  Aligned<int64_t> ids;
};

struct Hit {
  int32_t q;
  int32_t rank;
  int32_t list;
  int32_t offset;
  float score;
};

// What emit callbacks see.
struct EmitCtx {
  const int32_t* query;  // block-local query of each chunk-local query
  const int32_t* rank;
  float* thr;            // chunk-local thresholds (top-k mode)
  float* scores;         // slot heaps (top-k mode)
  int64_t* ids;
  int64_t k;
  int64_t list_base;     // list << 32
  int32_t list;
  std::vector<Hit>* hits;  // range mode
};

void emit_topk(void* ctx, int64_t ql, int64_t j, float score) {
  EmitCtx* c = static_cast<EmitCtx*>(ctx);
  const int64_t q = c->query[ql];
  float* s = c->scores + q * c->k;
  int64_t* id = c->ids + q * c->k;
  heap::push(s, id, c->k, score, c->list_base | j);
  // accept ties with the worst kept score, so the (score, position) rule decides them
  c->thr[ql] = std::nextafter(s[0], kInf);
}

void emit_range(void* ctx, int64_t ql, int64_t j, float score) {
  EmitCtx* c = static_cast<EmitCtx*>(ctx);
  c->hits->push_back({c->query[ql], c->rank[ql], c->list, static_cast<int32_t>(j), score});
}

// Points at the chunk's queries and gathers their norms.
void prepare_chunk(const IvfScanParams& p, int64_t q0, const Task& t, const int32_t* query, const float* qnorms_all,
                   Slot& s) {
  const int64_t nc = t.npairs;
  s.qptr.resize(nc);
  s.qnorms.resize(nc);
  s.thr.resize(nc);
  for (int64_t l = 0; l < nc; l++) {
    const int64_t q = q0 + query[l];
    s.qptr[l] = p.xq + q * p.d;
    s.qnorms[l] = qnorms_all ? qnorms_all[q] : 0.0f;
  }
}

// Runs one task; s.thr must already hold the chunk's thresholds.
void run_task(const IvfIsaKernels* isa, const IvfScanParams& p, const Task& t, Slot& s, EmitCtx& ctx,
              void (*emit)(void*, int64_t, int64_t, float)) {
  IvfDotArgs a{};
  a.q = s.qptr.data();
  a.qnorms = s.qnorms.data();
  a.nq = t.npairs;
  a.xb = p.codes[t.list] + t.r0 * p.d;
  a.nrows = t.nrows;
  a.j0 = t.r0;
  a.d = p.d;
  a.metric = p.metric;
  a.thr = s.thr.data();
  a.emit = {emit, &ctx};
  isa->scan_dot(&a);
}

std::vector<float> query_norms(const IvfIsaKernels* isa, const IvfScanParams& p) {
  std::vector<float> qn;
  if (p.metric != 1 || p.nq == 0) return qn;
  qn.resize(p.nq);
  const int64_t rows = std::max<int64_t>(64, (int64_t(1) << 18) / std::max<int64_t>(1, p.d));
  parallel_for(ceil_div(p.nq, rows), 256, [&](int64_t t, int) {
    const int64_t r0 = t * rows;
    isa->norms(p.xq + r0 * p.d, std::min(rows, p.nq - r0), p.d, qn.data() + r0);
  });
  return qn;
}

}  // namespace

void ivf_search_flat(const IvfScanParams& p) {
  if (p.nq == 0) return;
  const IvfIsaKernels* isa = ivf_isa();
  const int64_t k = p.k;
  const bool l2 = p.metric == 1;
  const float pad = l2 ? kInf : -kInf;
  const std::vector<float> qn = query_norms(isa, p);
  const float* qnorms = qn.empty() ? nullptr : qn.data();
  const int64_t qb = std::max<int64_t>(1, std::min<int64_t>(p.nq, kHeapEntriesPerSlot / k));

  Pairs pairs;
  for (int64_t q0 = 0; q0 < p.nq; q0 += qb) {
    const int64_t nqb = std::min(qb, p.nq - q0);
    pairs.build(p, q0, nqb);
    const std::vector<Task> tasks = plan_tasks(p, pairs, isa);
    const int nslots = planned_slots(static_cast<int64_t>(tasks.size()));
    std::vector<Slot> slots(nslots);
    for (Slot& s : slots) {
      s.scores.reset(nqb * k);
      s.ids.reset(nqb * k);
      for (int64_t q = 0; q < nqb; q++) heap::init(s.scores.get() + q * k, s.ids.get() + q * k, k);
    }

    parallel_for(static_cast<int64_t>(tasks.size()), nslots, [&](int64_t ti, int slot) {
      const Task& t = tasks[ti];
      Slot& s = slots[slot];
      const int32_t* query = pairs.query.data() + t.pair0;
      prepare_chunk(p, q0, t, query, qnorms, s);
      float* thr = s.thr.data();
      for (int64_t l = 0; l < t.npairs; l++) thr[l] = std::nextafter(s.scores.get()[query[l] * k], kInf);
      EmitCtx ctx{};
      ctx.query = query;
      ctx.rank = pairs.rank.data() + t.pair0;
      ctx.thr = thr;
      ctx.scores = s.scores.get();
      ctx.ids = s.ids.get();
      ctx.k = k;
      ctx.list_base = static_cast<int64_t>(t.list) << 32;
      ctx.list = t.list;
      run_task(isa, p, t, s, ctx, &emit_topk);
    });

    // merge the slots' heaps into slot 0, sort, map positions to labels
    const int64_t merge_tasks = ceil_div(nqb, 64);
    parallel_for(merge_tasks, 256, [&](int64_t mt, int) {
      for (int64_t q = mt * 64; q < std::min(nqb, mt * 64 + 64); q++) {
        float* s0 = slots[0].scores.get() + q * k;
        int64_t* i0 = slots[0].ids.get() + q * k;
        for (int sl = 1; sl < nslots; sl++) {
          const float* s1 = slots[sl].scores.get() + q * k;
          const int64_t* i1 = slots[sl].ids.get() + q * k;
          for (int64_t e = 0; e < k; e++)
            if (i1[e] >= 0) heap::push(s0, i0, k, s1[e], i1[e]);
        }
        heap::sort(s0, i0, k);
        float* dist = p.distances + (q0 + q) * k;
        int64_t* lab = p.labels + (q0 + q) * k;
        for (int64_t e = 0; e < k; e++) {
          const int64_t pos = i0[e];
          if (pos < 0) {
            dist[e] = pad;
            lab[e] = -1;
            continue;
          }
          dist[e] = l2 ? s0[e] : -s0[e];
          lab[e] = p.store_pairs ? pos : p.ids[pos >> 32][pos & 0xffffffff];
        }
      }
    });
  }
}

RangeResult ivf_range_search_flat(const IvfScanParams& p) {
  RangeResult r;
  r.lims.assign(p.nq + 1, 0);
  if (p.nq == 0) return r;
  const IvfIsaKernels* isa = ivf_isa();
  const bool l2 = p.metric == 1;
  const float limit = l2 ? p.radius : -p.radius;  // keep score < limit
  const std::vector<float> qn = query_norms(isa, p);
  const float* qnorms = qn.empty() ? nullptr : qn.data();

  // One block: range results are not bounded by k anyway.
  Pairs pairs;
  pairs.build(p, 0, p.nq);
  const std::vector<Task> tasks = plan_tasks(p, pairs, isa);
  const int nslots = planned_slots(static_cast<int64_t>(tasks.size()));
  std::vector<Slot> slots(nslots);
  std::vector<std::vector<Hit>> hits(tasks.size());

  parallel_for(static_cast<int64_t>(tasks.size()), nslots, [&](int64_t ti, int slot) {
    const Task& t = tasks[ti];
    Slot& s = slots[slot];
    const int32_t* query = pairs.query.data() + t.pair0;
    prepare_chunk(p, 0, t, query, qnorms, s);
    float* thr = s.thr.data();
    for (int64_t l = 0; l < t.npairs; l++) thr[l] = limit;
    EmitCtx ctx{};
    ctx.query = query;
    ctx.rank = pairs.rank.data() + t.pair0;
    ctx.thr = thr;
    ctx.list = t.list;
    ctx.hits = &hits[ti];
    run_task(isa, p, t, s, ctx, &emit_range);
  });

  // group by query (counting sort), then order each query's hits by (probe rank, offset)
  std::vector<int64_t> count(p.nq + 1, 0);
  for (const auto& v : hits)
    for (const Hit& h : v) count[h.q + 1]++;
  for (int64_t q = 0; q < p.nq; q++) count[q + 1] += count[q];
  std::vector<Hit> all(count[p.nq]);
  std::vector<int64_t> pos(count.begin(), count.end() - 1);
  for (const auto& v : hits)
    for (const Hit& h : v) all[pos[h.q]++] = h;
  hits.clear();
  parallel_for(ceil_div(p.nq, 256), 256, [&](int64_t t, int) {
    for (int64_t q = t * 256; q < std::min(p.nq, t * 256 + 256); q++) {
      std::sort(all.begin() + count[q], all.begin() + count[q + 1], [](const Hit& a, const Hit& b) {
        return a.rank != b.rank ? a.rank < b.rank : a.offset < b.offset;
      });
    }
  });
  const int64_t total = count[p.nq];
  r.distances.resize(total);
  r.labels.resize(total);
  for (int64_t i = 0; i < total; i++) {
    const Hit& h = all[i];
    r.distances[i] = l2 ? h.score : -h.score;
    r.labels[i] = p.store_pairs ? ((static_cast<int64_t>(h.list) << 32) | h.offset) : p.ids[h.list][h.offset];
  }
  for (int64_t q = 0; q <= p.nq; q++) r.lims[q] = count[q];
  return r;
}

}  // namespace mk
