#include "hamming.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>
#include <string>

#include "cpu-dispatch.h"
#include "isa/heap.h"
#include "thread-pool.h"

namespace mk {
namespace {

bool cpu_has_vpopcntdq() {
#if defined(__x86_64__) || defined(_M_X64)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512vpopcntdq");
#else
  return false;
#endif
}

// One query's k best (distance, index) pairs as a bounded max-heap; scores
// are the integer distances as floats (exact up to 2^24, far above any
// code length here).
struct QueryHeap {
  float* s;
  int64_t* id;
  int64_t k;
  int64_t base;  // index of the first code of the current block
  int32_t thr;   // the root's distance as an acceptance bound (INT32_MAX while not full)
};

inline int32_t bound_of(float root) { return root == __builtin_inff() ? INT32_MAX : static_cast<int32_t>(root); }

void emit_knn(void* ctx, int64_t j, int32_t dis) {
  auto* h = static_cast<QueryHeap*>(ctx);
  heap::replace_top(h->s, h->id, h->k, static_cast<float>(dis), h->base + j);
  h->thr = bound_of(h->s[0]);
}

void write_out(float* s, int64_t* id, int64_t k, int32_t* dout, int64_t* lout, int64_t label_offset) {
  heap::sort(s, id, k);
  for (int64_t t = 0; t < k; t++) {
    if (id[t] < 0) {
      dout[t] = INT32_MAX;
      lout[t] = -1;
    } else {
      dout[t] = static_cast<int32_t>(s[t]);
      lout[t] = id[t] + label_offset;
    }
  }
}

constexpr int64_t kQueryBlock = 32;

// Codes per block: about 256 KiB of codes, so a block stays in L2 while the
// queries of a task scan it.
int64_t codes_per_block(int64_t code_size) { return std::max<int64_t>(64, (256 * 1024) / std::max<int64_t>(1, code_size)); }

}  // namespace

const HammingIsa* hamming_isa() {
  const std::string level = current_isa()->name;
#if defined(__x86_64__) || defined(_M_X64)
  static const bool vpop = cpu_has_vpopcntdq();
  if (level == "avx512") return vpop ? hamming_isa_avx512() : hamming_isa_avx2();
  if (level == "avx2") return hamming_isa_avx2();
#endif
  return hamming_isa_generic();
}

void hamming_knn(const HammingKnnParams& p) {
  const HammingIsa* isa = hamming_isa();
  const int64_t nq = p.nq, nb = p.nb, k = p.k, cs = p.code_size;
  if (nq == 0) return;
  const int64_t block = codes_per_block(cs);
  const int64_t qblocks = (nq + kQueryBlock - 1) / kQueryBlock;
  const int threads = planned_slots(1 << 30);

  if (qblocks >= threads || nb < 4 * block) {
    // Tasks = blocks of queries; each scans the whole database block by block.
    parallel_for(qblocks, threads, [&](int64_t t, int) {
      const int64_t q0 = t * kQueryBlock;
      const int64_t q1 = std::min(nq, q0 + kQueryBlock);
      const int64_t nqb = q1 - q0;
      std::unique_ptr<float[]> s(new float[nqb * k]);
      std::unique_ptr<int64_t[]> id(new int64_t[nqb * k]);
      std::vector<QueryHeap> heaps(nqb);
      for (int64_t i = 0; i < nqb; i++) {
        heap::init(s.get() + i * k, id.get() + i * k, k);
        heaps[i] = {s.get() + i * k, id.get() + i * k, k, 0, INT32_MAX};
      }
      for (int64_t j0 = 0; j0 < nb; j0 += block) {
        const int64_t nj = std::min(block, nb - j0);
        for (int64_t i = 0; i < nqb; i++) {
          heaps[i].base = j0;
          isa->scan(p.xq + (q0 + i) * cs, p.xb + j0 * cs, nj, cs, &heaps[i].thr, HammingEmit{&emit_knn, &heaps[i]});
        }
      }
      for (int64_t i = 0; i < nqb; i++)
        write_out(heaps[i].s, heaps[i].id, k, p.distances + (q0 + i) * k, p.labels + (q0 + i) * k, p.label_offset);
    });
    return;
  }

  // Few queries, many codes: every thread scans a slice of the database for
  // all queries; the per-slice heaps are merged (lexicographically, so the
  // result equals one sequential scan).
  const int64_t slices = threads;
  std::vector<std::unique_ptr<float[]>> ss(slices);
  std::vector<std::unique_ptr<int64_t[]>> ids(slices);
  parallel_for(slices, threads, [&](int64_t t, int) {
    const int64_t j0 = nb * t / slices;
    const int64_t j1 = nb * (t + 1) / slices;
    ss[t].reset(new float[nq * k]);
    ids[t].reset(new int64_t[nq * k]);
    std::vector<QueryHeap> heaps(nq);
    for (int64_t i = 0; i < nq; i++) {
      heap::init(ss[t].get() + i * k, ids[t].get() + i * k, k);
      heaps[i] = {ss[t].get() + i * k, ids[t].get() + i * k, k, 0, INT32_MAX};
    }
    for (int64_t b0 = j0; b0 < j1; b0 += block) {
      const int64_t nj = std::min(block, j1 - b0);
      for (int64_t i = 0; i < nq; i++) {
        heaps[i].base = b0;
        isa->scan(p.xq + i * cs, p.xb + b0 * cs, nj, cs, &heaps[i].thr, HammingEmit{&emit_knn, &heaps[i]});
      }
    }
  });
  for (int64_t i = 0; i < nq; i++) {
    float* s0 = ss[0].get() + i * k;
    int64_t* id0 = ids[0].get() + i * k;
    for (int64_t t = 1; t < slices; t++) {
      const float* st = ss[t].get() + i * k;
      const int64_t* it = ids[t].get() + i * k;
      for (int64_t e = 0; e < k; e++)
        if (it[e] >= 0) heap::push(s0, id0, k, st[e], it[e]);
    }
    write_out(s0, id0, k, p.distances + i * k, p.labels + i * k, p.label_offset);
  }
}

namespace {

struct RangeSink {
  std::vector<int32_t>* dis;
  std::vector<int64_t>* ids;
  int64_t base;
};

void emit_range(void* ctx, int64_t j, int32_t dis) {
  auto* r = static_cast<RangeSink*>(ctx);
  r->dis->push_back(dis);
  r->ids->push_back(r->base + j);
}

}  // namespace

HammingRangeResult hamming_range(const HammingRangeParams& p) {
  const HammingIsa* isa = hamming_isa();
  const int64_t nq = p.nq, nb = p.nb, cs = p.code_size;
  const int threads = planned_slots(1 << 30);
  const int64_t chunks = nq >= threads ? 1 : std::max<int64_t>(1, std::min<int64_t>(threads, nb / 4096));
  std::vector<std::vector<int32_t>> dis(nq * chunks);
  std::vector<std::vector<int64_t>> ids(nq * chunks);
  const int32_t radius = p.radius;
  parallel_for(nq * chunks, threads, [&](int64_t t, int) {
    const int64_t q = t / chunks, c = t % chunks;
    const int64_t j0 = nb * c / chunks, j1 = nb * (c + 1) / chunks;
    RangeSink sink{&dis[t], &ids[t], j0};
    isa->scan(p.xq + q * cs, p.xb + j0 * cs, j1 - j0, cs, &radius, HammingEmit{&emit_range, &sink});
  });
  HammingRangeResult r;
  r.lims.assign(nq + 1, 0);
  size_t total = 0;
  for (const auto& v : dis) total += v.size();
  r.distances.reserve(total);
  r.labels.reserve(total);
  for (int64_t q = 0; q < nq; q++) {
    for (int64_t c = 0; c < chunks; c++) {
      const auto& dv = dis[q * chunks + c];
      const auto& iv = ids[q * chunks + c];
      r.distances.insert(r.distances.end(), dv.begin(), dv.end());
      for (int64_t id : iv) r.labels.push_back(id + p.label_offset);
    }
    r.lims[q + 1] = static_cast<int64_t>(r.distances.size());
  }
  return r;
}

void hamming_pairwise(const uint8_t* xq, const uint8_t* xb, int64_t nq, int64_t nb, int64_t code_size,
                      int32_t* out) {
  const HammingIsa* isa = hamming_isa();
  const int64_t block = codes_per_block(code_size);
  const int64_t nblocks = (nb + block - 1) / block;
  parallel_for(nblocks, planned_slots(nblocks), [&](int64_t b, int) {
    const int64_t j0 = b * block;
    const int64_t nj = std::min(block, nb - j0);
    for (int64_t i = 0; i < nq; i++) isa->distances(xq + i * code_size, xb + j0 * code_size, nj, code_size, out + i * nb + j0);
  });
}

}  // namespace mk
