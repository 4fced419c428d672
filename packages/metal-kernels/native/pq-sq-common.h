// Shared plumbing of the quantizer drivers (pq.cc, sq.cc): aligned scratch
// buffers, per-slot top-k heaps with their merge, and range-search hit lists.
// Compiled into baseline translation units only.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <vector>

#include "buffer.h"
#include "isa/heap.h"
#include "isa/isa.h"
#include "kernels.h"
#include "thread-pool.h"

namespace mk {
namespace quant {

constexpr float kInf = std::numeric_limits<float>::infinity();

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

using mk::Buffer;  // buffer.h

// The k best (score, id) of each of nq queries, as max-heaps (root = worst
// kept); thr[q] mirrors each root so that scans can test candidates cheaply.
struct Heaps {
  std::vector<float> s;
  std::vector<int64_t> id;
  std::vector<float> thr;
  int64_t k = 0;
  void init(int64_t nq, int64_t k_) {
    k = k_;
    s.resize(nq * k);
    id.resize(nq * k);
    thr.assign(nq, kInf);
    for (int64_t q = 0; q < nq; q++) heap::init(s.data() + q * k, id.data() + q * k, k);
  }
  inline void push(int64_t q, int64_t j, float score) {
    float* hs = s.data() + q * k;
    int64_t* hi = id.data() + q * k;
    if (score < hs[0] || (score == hs[0] && j < hi[0])) {
      heap::replace_top(hs, hi, k, score, j);
      thr[q] = hs[0];
    }
  }
};

inline void emit_heap(void* ctx, int64_t q, int64_t j, float score) { static_cast<Heaps*>(ctx)->push(q, j, score); }

// Merges the slots into slot 0 and writes sorted results (scores back to
// distances: L2 as is, inner product negated); padding -1 / +-inf.
inline void merge_write(std::vector<Heaps>& slots, int64_t nq, int64_t keff, int64_t k, int metric,
                        int64_t label_offset, float* distances, int64_t* labels) {
  const bool l2 = metric == kMetricL2;
  const float pad = l2 ? kInf : -kInf;
  parallel_for(ceil_div(nq, 64), 256, [&](int64_t t, int) {
    for (int64_t q = t * 64; q < std::min(nq, t * 64 + 64); q++) {
      float* s0 = slots[0].s.data() + q * keff;
      int64_t* i0 = slots[0].id.data() + q * keff;
      for (size_t sl = 1; sl < slots.size(); sl++) {
        const float* s1 = slots[sl].s.data() + q * keff;
        const int64_t* i1 = slots[sl].id.data() + q * keff;
        for (int64_t e = 0; e < keff; e++)
          if (s1[e] < kInf) heap::push(s0, i0, keff, s1[e], i1[e]);
      }
      heap::sort(s0, i0, keff);
      float* dist = distances + q * k;
      int64_t* lab = labels + q * k;
      for (int64_t e = 0; e < k; e++) {
        if (e < keff && s0[e] < kInf) {
          dist[e] = l2 ? s0[e] : -s0[e];
          lab[e] = i0[e] + label_offset;
        } else {
          dist[e] = pad;
          lab[e] = -1;
        }
      }
    }
  });
}

struct Hit {
  int64_t q;
  int64_t id;
  float score;
};

inline void emit_hit(void* ctx, int64_t q, int64_t j, float score) {
  static_cast<std::vector<Hit>*>(ctx)->push_back({q, j, score});
}

// Hit lists (one per task, in task order) into FAISS's range layout, stable
// by query; scores back to distances.
inline RangeResult collect_hits(const std::vector<std::vector<Hit>>& hits, int64_t nq, int metric,
                                int64_t label_offset) {
  const bool l2 = metric == kMetricL2;
  RangeResult r;
  r.lims.assign(nq + 1, 0);
  for (const auto& v : hits)
    for (const Hit& h : v) r.lims[h.q + 1]++;
  for (int64_t q = 0; q < nq; q++) r.lims[q + 1] += r.lims[q];
  r.distances.resize(r.lims[nq]);
  r.labels.resize(r.lims[nq]);
  std::vector<int64_t> pos(r.lims.begin(), r.lims.end() - 1);
  for (const auto& v : hits) {
    for (const Hit& h : v) {
      const int64_t at = pos[h.q]++;
      r.distances[at] = l2 ? h.score : -h.score;
      r.labels[at] = h.id + label_offset;
    }
  }
  return r;
}

}  // namespace quant
}  // namespace mk
