#include "pq.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "cpu-dispatch.h"
#include "isa/pq-isa.h"
#include "pq-sq-common.h"
#include "thread-pool.h"

namespace mk {
namespace pq {
namespace {

using quant::Buffer;
using quant::ceil_div;
using quant::Heaps;
using quant::Hit;
using quant::kInf;

const PqIsa* isa() {
  const char* name = current_isa()->name;
#if defined(__x86_64__) || defined(_M_X64)
  if (std::strcmp(name, "avx512") == 0) return pq_isa_avx512();
  if (std::strcmp(name, "avx2") == 0) return pq_isa_avx2();
#endif
  (void)name;
  return pq_isa_generic();
}

struct Shape {
  int64_t d, M, nbits, ksub, dsub, cs;
  explicit Shape(const Codec& c)
      : d(c.d), M(c.M), nbits(c.nbits), ksub(int64_t(1) << c.nbits), dsub(c.d / c.M), cs(code_size(c.M, c.nbits)) {}
};

// Centroids laid out [m][dsub][ksub]: the caller's, or a transposed copy.
struct Transposed {
  std::vector<float> own;
  const float* ptr;
  Transposed(const Codec& c, const Shape& s) {
    if (c.centroids_t) {
      ptr = c.centroids_t;
      return;
    }
    own.resize(s.M * s.ksub * s.dsub);
    for (int64_t m = 0; m < s.M; m++)
      for (int64_t j = 0; j < s.ksub; j++)
        for (int64_t t = 0; t < s.dsub; t++)
          own[(m * s.dsub + t) * s.ksub + j] = c.centroids[(m * s.ksub + j) * s.dsub + t];
    ptr = own.data();
  }
};

// LSB-first bit packing of M indices of nbits each (FAISS's PQEncoderGeneric layout).
void pack(const uint32_t* idx, int64_t M, int64_t nbits, uint8_t* code, int64_t cs) {
  if (nbits == 8) {
    for (int64_t m = 0; m < M; m++) code[m] = static_cast<uint8_t>(idx[m]);
    return;
  }
  std::memset(code, 0, cs);
  int64_t bit = 0;
  for (int64_t m = 0; m < M; m++, bit += nbits) {
    uint64_t v = idx[m];
    int64_t b = bit;
    int64_t left = nbits;
    while (left > 0) {
      const int off = static_cast<int>(b & 7);
      const int take = static_cast<int>(std::min<int64_t>(left, 8 - off));
      code[b >> 3] |= static_cast<uint8_t>((v & ((1u << take) - 1)) << off);
      v >>= take;
      b += take;
      left -= take;
    }
  }
}

inline uint32_t index_at(const uint8_t* code, int64_t m, int64_t nbits) {
  if (nbits == 8) return code[m];
  if (nbits == 16) return static_cast<uint32_t>(code[2 * m] | (code[2 * m + 1] << 8));
  const int64_t bit = m * nbits;
  uint64_t w = 0;
  const int64_t first = bit >> 3;
  const int64_t last = (bit + nbits - 1) >> 3;
  for (int64_t b = first; b <= last; b++) w |= static_cast<uint64_t>(code[b]) << (8 * (b - first));
  return static_cast<uint32_t>((w >> (bit & 7)) & ((uint64_t(1) << nbits) - 1));
}

// Codes prepared for the scan: bytes as they are (nbits 8 or 16), other widths
// unpacked to uint16 indices.
struct ScanCodes {
  const uint8_t* codes;
  int64_t stride;
  int bits;
};

ScanCodes scan_codes(const Shape& s, const uint8_t* codes, int64_t n, std::vector<uint16_t>& scratch) {
  if (s.nbits == 8) return {codes, s.cs, 8};
  if (s.nbits == 16) return {codes, s.cs, 16};
  scratch.resize(n * s.M);
  for (int64_t j = 0; j < n; j++)
    for (int64_t m = 0; m < s.M; m++) scratch[j * s.M + m] = static_cast<uint16_t>(index_at(codes + j * s.cs, m, s.nbits));
  return {reinterpret_cast<const uint8_t*>(scratch.data()), 2 * s.M, 16};
}

ScanArgs scan_args(const Shape& s, const ScanCodes& sc, int64_t n, const float* table, float dis0, bool l2, bool group4) {
  ScanArgs a{};
  a.codes = sc.codes;
  a.ncodes = n;
  a.stride = sc.stride;
  a.index_bits = sc.bits;
  a.M = s.M;
  a.ksub = s.ksub;
  a.table = table;
  a.dis0 = dis0;
  a.l2 = l2;
  a.group4 = group4;
  return a;
}

// FAISS's IndexPQ sums the table entries by groups of 4 when M % 4 == 0 (nbits 8 and 16).
bool flat_group4(const Shape& s) { return (s.nbits == 8 || s.nbits == 16) && s.M % 4 == 0; }

int64_t block_codes(const Shape& s, int64_t nb) {
  const int64_t threads = get_num_threads();
  int64_t rows = std::max<int64_t>(64, (int64_t(64) << 10) / std::max<int64_t>(1, s.cs));
  rows = std::min(rows, std::max<int64_t>(64, ceil_div(nb, 4 * threads)));
  return rows;
}

}  // namespace

void tables(const Codec& c, const float* x, int64_t n, bool l2, float* out) {
  if (n == 0) return;
  const Shape s(c);
  const Transposed t(c, s);
  const PqIsa* k = isa();
  const int64_t per = std::max<int64_t>(1, (int64_t(1) << 20) / std::max<int64_t>(1, s.M * s.ksub * s.dsub));
  parallel_for(ceil_div(n, per), 256, [&](int64_t task, int) {
    for (int64_t i = task * per; i < std::min(n, (task + 1) * per); i++)
      k->table(x + i * s.d, t.ptr, s.M, s.ksub, s.dsub, l2, out + i * s.M * s.ksub);
  });
}

void compute_codes(const Codec& c, const float* x, int64_t n, uint8_t* codes) {
  if (n == 0) return;
  const Shape s(c);
  const Transposed t(c, s);
  const PqIsa* k = isa();
  const int64_t per = std::max<int64_t>(1, (int64_t(1) << 20) / std::max<int64_t>(1, s.M * s.ksub * s.dsub));
  parallel_for(ceil_div(n, per), 256, [&](int64_t task, int) {
    std::vector<float> tab(s.M * s.ksub);
    std::vector<uint32_t> idx(s.M);
    for (int64_t i = task * per; i < std::min(n, (task + 1) * per); i++) {
      k->table(x + i * s.d, t.ptr, s.M, s.ksub, s.dsub, true, tab.data());
      for (int64_t m = 0; m < s.M; m++) {
        const float* row = tab.data() + m * s.ksub;
        float best = row[0];
        uint32_t bi = 0;
        for (int64_t j = 1; j < s.ksub; j++) {
          if (row[j] < best) {
            best = row[j];
            bi = static_cast<uint32_t>(j);
          }
        }
        idx[m] = bi;
      }
      pack(idx.data(), s.M, s.nbits, codes + i * s.cs, s.cs);
    }
  });
}

void decode(const Codec& c, const uint8_t* codes, int64_t n, float* out) {
  if (n == 0) return;
  const Shape s(c);
  parallel_for(ceil_div(n, 1024), 256, [&](int64_t task, int) {
    for (int64_t i = task * 1024; i < std::min(n, (task + 1) * 1024); i++) {
      const uint8_t* code = codes + i * s.cs;
      for (int64_t m = 0; m < s.M; m++) {
        const int64_t j = index_at(code, m, s.nbits);
        std::memcpy(out + i * s.d + m * s.dsub, c.centroids + (m * s.ksub + j) * s.dsub, s.dsub * sizeof(float));
      }
    }
  });
}

void precompute_table(const Codec& c, const float* coarse, int64_t nlist, float* out) {
  if (nlist == 0) return;
  const Shape s(c);
  const Transposed t(c, s);
  const PqIsa* k = isa();
  // squared norms of the sub-quantizer centroids
  std::vector<float> r_norms(s.M * s.ksub);
  for (int64_t m = 0; m < s.M; m++) {
    for (int64_t j = 0; j < s.ksub; j++) {
      const float* cj = c.centroids + (m * s.ksub + j) * s.dsub;
      float n2 = 0.0f;
      for (int64_t u = 0; u < s.dsub; u++) n2 += cj[u] * cj[u];
      r_norms[m * s.ksub + j] = n2;
    }
  }
  const int64_t tab = s.M * s.ksub;
  parallel_for(nlist, 256, [&](int64_t l, int) {
    float* o = out + l * tab;
    k->table(coarse + l * s.d, t.ptr, s.M, s.ksub, s.dsub, false, o);
    k->madd(tab, r_norms.data(), 2.0f, o, o);
  });
}

void assign(const float* x, int64_t n, int64_t d, const float* centroids, int64_t k, int64_t* labels, float* dist) {
  if (n == 0) return;
  // dot form: -2 c transposed, and ||c||^2
  std::vector<float> ct(k * d), cn(k);
  for (int64_t j = 0; j < k; j++) {
    double n2 = 0.0;
    for (int64_t t = 0; t < d; t++) {
      const float v = centroids[j * d + t];
      ct[t * k + j] = -2.0f * v;
      n2 += static_cast<double>(v) * v;
    }
    cn[j] = static_cast<float>(n2);
  }
  const PqIsa* isa_k = isa();
  const int64_t per = std::max<int64_t>(16, std::min<int64_t>(1024, (int64_t(1) << 22) / std::max<int64_t>(1, k * d)));
  parallel_for(ceil_div(n, per), 256, [&](int64_t t, int) {
    const int64_t i0 = t * per;
    const int64_t m = std::min(per, n - i0);
    isa_k->assign(x + i0 * d, m, d, ct.data(), cn.data(), k, labels + i0, dist + i0);
  });
}

void search(const SearchParams& p) {
  if (p.nq == 0) return;
  const Shape s(p.codec);
  const int64_t keff = std::min(p.k, p.nb);
  std::vector<Heaps> heaps;
  if (keff == 0) {
    heaps.resize(1);
    heaps[0].init(p.nq, 1);
    quant::merge_write(heaps, p.nq, 0, p.k, p.metric, 0, p.distances, p.labels);
    return;
  }
  const bool l2 = p.metric == kMetricL2;
  const int64_t tab = s.M * s.ksub;
  std::vector<float> tabs(p.nq * tab);
  tables(p.codec, p.xq, p.nq, l2, tabs.data());
  const PqIsa* k = isa();
  const int64_t rows = block_codes(s, p.nb);
  const int64_t ntasks = ceil_div(p.nb, rows);
  const int slots = planned_slots(ntasks);
  heaps.resize(slots);
  for (auto& h : heaps) h.init(p.nq, keff);
  std::vector<std::vector<uint16_t>> scratch(slots);
  const bool g4 = flat_group4(s);
  parallel_for(ntasks, slots, [&](int64_t t, int slot) {
    const int64_t j0 = t * rows;
    const int64_t n = std::min(rows, p.nb - j0);
    const ScanCodes sc = scan_codes(s, p.codes + j0 * s.cs, n, scratch[slot]);
    Heaps& h = heaps[slot];
    for (int64_t q = 0; q < p.nq; q++) {
      ScanArgs a = scan_args(s, sc, n, tabs.data() + q * tab, 0.0f, l2, g4);
      a.mask = p.mask ? p.mask + j0 : nullptr;
      a.q = q;
      a.j0 = j0;
      a.thr = h.thr.data() + q;
      a.emit = {&quant::emit_heap, &h};
      k->scan(&a);
    }
  });
  quant::merge_write(heaps, p.nq, keff, p.k, p.metric, p.label_offset, p.distances, p.labels);
}

RangeResult range_search(const RangeParams& p) {
  if (p.nq == 0 || p.nb == 0) {
    RangeResult r;
    r.lims.assign(p.nq + 1, 0);
    return r;
  }
  const Shape s(p.codec);
  const bool l2 = p.metric == kMetricL2;
  const int64_t tab = s.M * s.ksub;
  std::vector<float> tabs(p.nq * tab);
  tables(p.codec, p.xq, p.nq, l2, tabs.data());
  const PqIsa* k = isa();
  const int64_t rows = block_codes(s, p.nb);
  const int64_t ntasks = ceil_div(p.nb, rows);
  std::vector<std::vector<Hit>> hits(ntasks);
  float limit = l2 ? p.radius : -p.radius;
  const bool g4 = flat_group4(s);
  parallel_for(ntasks, 256, [&](int64_t t, int) {
    std::vector<uint16_t> scratch;
    const int64_t j0 = t * rows;
    const int64_t n = std::min(rows, p.nb - j0);
    const ScanCodes sc = scan_codes(s, p.codes + j0 * s.cs, n, scratch);
    for (int64_t q = 0; q < p.nq; q++) {
      ScanArgs a = scan_args(s, sc, n, tabs.data() + q * tab, 0.0f, l2, g4);
      a.mask = p.mask ? p.mask + j0 : nullptr;
      a.q = q;
      a.j0 = j0;
      a.thr = &limit;
      a.emit = {&quant::emit_hit, &hits[t]};
      k->scan(&a);
    }
  });
  return quant::collect_hits(hits, p.nq, p.metric, p.label_offset);
}

// ---------------------------------------------------------------- IVF

namespace {

struct ListWork {
  std::vector<int64_t> start, pairs, order;
};

ListWork group_by_list(const int64_t* assign, int64_t nq, int64_t nprobe, const sq::IvfLists& lists) {
  ListWork w;
  w.start.assign(lists.nlist + 1, 0);
  for (int64_t i = 0; i < nq * nprobe; i++)
    if (assign[i] >= 0 && assign[i] < lists.nlist) w.start[assign[i] + 1]++;
  for (int64_t l = 0; l < lists.nlist; l++) w.start[l + 1] += w.start[l];
  w.pairs.resize(w.start[lists.nlist]);
  std::vector<int64_t> pos(w.start.begin(), w.start.end() - 1);
  for (int64_t i = 0; i < nq * nprobe; i++)
    if (assign[i] >= 0 && assign[i] < lists.nlist) w.pairs[pos[assign[i]]++] = i;
  for (int64_t l = 0; l < lists.nlist; l++)
    if (w.start[l + 1] > w.start[l] && lists.sizes[l] > 0) w.order.push_back(l);
  std::stable_sort(w.order.begin(), w.order.end(), [&](int64_t a, int64_t b) {
    return (w.start[a + 1] - w.start[a]) * (lists.sizes[a] + 16) > (w.start[b + 1] - w.start[b]) * (lists.sizes[b] + 16);
  });
  return w;
}

struct IvfEmit {
  Heaps* heaps;
  std::vector<Hit>* hits;
  const int64_t* ids;
};

void ivf_emit_heap(void* ctx, int64_t q, int64_t j, float score) {
  IvfEmit* e = static_cast<IvfEmit*>(ctx);
  e->heaps->push(q, e->ids[j], score);
}

void ivf_emit_hit(void* ctx, int64_t q, int64_t j, float score) {
  IvfEmit* e = static_cast<IvfEmit*>(ctx);
  e->hits->push_back({q, e->ids[j], score});
}

float dot(const float* a, const float* b, int64_t n) {
  float s = 0.0f;
  for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

// Runs the scans of every probed list; `setup(slot, task, q, emit)` points
// the emitter and threshold at this call's results.
template <typename Setup>
void ivf_run(const IvfSearchParams& p, const ListWork& w, int slots, Setup&& setup) {
  const Shape s(p.codec);
  const PqIsa* k = isa();
  const bool l2 = p.metric == kMetricL2;
  const int64_t tab = s.M * s.ksub;
  const bool mode0 = l2 && p.by_residual && !p.precomputed;
  // per-query tables: L2 non-residual -> distance tables; IP -> inner-product
  // tables; L2 residual with the precomputed table -> -2 <x, y_R> partner tables
  std::vector<float> qtabs;
  if (!mode0) {
    qtabs.resize(p.nq * tab);
    tables(p.codec, p.xq, p.nq, l2 && !p.by_residual, qtabs.data());
  }
  const Transposed tr(p.codec, s);
  struct Scratch {
    std::vector<float> table, residual;
    std::vector<uint16_t> idx;
  };
  std::vector<Scratch> scratch(slots);
  parallel_for(static_cast<int64_t>(w.order.size()), slots, [&](int64_t t, int slot) {
    const int64_t l = w.order[t];
    const int64_t n = p.lists.sizes[l];
    Scratch& sc = scratch[slot];
    const ScanCodes codes = scan_codes(s, p.lists.codes[l], n, sc.idx);
    const uint8_t* mask = p.lists.masks ? p.lists.masks[l] : nullptr;
    for (int64_t i = w.start[l]; i < w.start[l + 1]; i++) {
      const int64_t pi = w.pairs[i];
      const int64_t q = pi / p.nprobe;
      const float* table;
      float dis0 = 0.0f;
      if (mode0) {
        sc.residual.resize(s.d);
        sc.table.resize(tab);
        const float* x = p.xq + q * s.d;
        const float* c = p.coarse + l * s.d;
        for (int64_t u = 0; u < s.d; u++) sc.residual[u] = x[u] - c[u];
        k->table(sc.residual.data(), tr.ptr, s.M, s.ksub, s.dsub, true, sc.table.data());
        table = sc.table.data();
      } else if (l2 && p.by_residual) {
        sc.table.resize(tab);
        k->madd(tab, p.precomputed + l * tab, -2.0f, qtabs.data() + q * tab, sc.table.data());
        table = sc.table.data();
        dis0 = p.coarse_dis[pi];
      } else {
        table = qtabs.data() + q * tab;
        if (!l2 && p.by_residual) dis0 = dot(p.xq + q * s.d, p.coarse + l * s.d, s.d);
      }
      ScanArgs a = scan_args(s, codes, n, table, dis0, l2, false);
      a.mask = mask;
      a.q = q;
      a.j0 = 0;
      IvfEmit e{};
      e.ids = p.lists.ids[l];
      setup(slot, t, q, a, e);
      a.emit.ctx = &e;
      k->scan(&a);
    }
  });
}

}  // namespace

void ivf_search(const IvfSearchParams& p) {
  if (p.nq == 0) return;
  ListWork w = group_by_list(p.assign, p.nq, p.nprobe, p.lists);
  const int slots = planned_slots(static_cast<int64_t>(w.order.size()));
  std::vector<Heaps> heaps(std::max(1, slots));
  for (auto& h : heaps) h.init(p.nq, p.k);
  ivf_run(p, w, slots, [&](int slot, int64_t, int64_t q, ScanArgs& a, IvfEmit& e) {
    e.heaps = &heaps[slot];
    a.thr = heaps[slot].thr.data() + q;
    a.emit.fn = &ivf_emit_heap;
  });
  quant::merge_write(heaps, p.nq, p.k, p.k, p.metric, 0, p.distances, p.labels);
}

RangeResult ivf_range_search(const IvfSearchParams& p) {
  if (p.nq == 0) {
    RangeResult r;
    r.lims.assign(1, 0);
    return r;
  }
  ListWork w = group_by_list(p.assign, p.nq, p.nprobe, p.lists);
  const int64_t ntasks = static_cast<int64_t>(w.order.size());
  const int slots = planned_slots(ntasks);
  std::vector<std::vector<Hit>> hits(ntasks);
  float limit = p.metric == kMetricL2 ? p.radius : -p.radius;
  ivf_run(p, w, slots, [&](int, int64_t t, int64_t, ScanArgs& a, IvfEmit& e) {
    e.hits = &hits[t];
    a.thr = &limit;
    a.emit.fn = &ivf_emit_hit;
  });
  return quant::collect_hits(hits, p.nq, p.metric, 0);
}

}  // namespace pq
}  // namespace mk
