#include "pq.h"

#include <algorithm>
#include <cstring>
#include <memory>
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

// Vectors per table block: the sub-quantizers' centroids are read once per block.
constexpr int64_t kTableBlock = 16;

void tables(const Codec& c, const float* x, int64_t n, bool l2, float* out) {
  if (n == 0) return;
  const Shape s(c);
  const Transposed t(c, s);
  const PqIsa* k = isa();
  parallel_for(ceil_div(n, kTableBlock), 256, [&](int64_t task, int) {
    const int64_t i0 = task * kTableBlock;
    k->tables(x + i0 * s.d, std::min(kTableBlock, n - i0), s.d, t.ptr, s.M, s.ksub, s.dsub, l2, 1.0f, out + i0 * s.M * s.ksub);
  });
}

void compute_codes(const Codec& c, const float* x, int64_t n, uint8_t* codes) {
  if (n == 0) return;
  const Shape s(c);
  const Transposed t(c, s);
  const PqIsa* k = isa();
  const int64_t tab = s.M * s.ksub;
  const int64_t block = std::max<int64_t>(1, std::min<int64_t>(kTableBlock, (int64_t(256) << 10) / (4 * tab)));
  parallel_for(ceil_div(n, block), 256, [&](int64_t task, int) {
    const int64_t i0 = task * block;
    const int64_t nb = std::min(block, n - i0);
    std::vector<float> tabs(nb * tab);
    std::vector<uint32_t> idx(s.M);
    k->tables(x + i0 * s.d, nb, s.d, t.ptr, s.M, s.ksub, s.dsub, true, 1.0f, tabs.data());
    for (int64_t i = 0; i < nb; i++) {
      for (int64_t m = 0; m < s.M; m++) {
        const float* row = tabs.data() + (i * s.M + m) * s.ksub;
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
      pack(idx.data(), s.M, s.nbits, codes + (i0 + i) * s.cs, s.cs);
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
  parallel_for(ceil_div(nlist, kTableBlock), 256, [&](int64_t task, int) {
    const int64_t l0 = task * kTableBlock;
    const int64_t nl = std::min(kTableBlock, nlist - l0);
    k->tables(coarse + l0 * s.d, nl, s.d, t.ptr, s.M, s.ksub, s.dsub, false, 1.0f, out + l0 * tab);
    for (int64_t l = l0; l < l0 + nl; l++) k->madd(tab, r_norms.data(), 2.0f, out + l * tab, out + l * tab);
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
//
// Query-major: each task owns a block of queries and their results (no
// per-thread heaps to merge). A query's table (16 KB for PQ16 x 8 bits) stays
// in L1 while it scans its probed lists, whose codes are small. With FAISS's
// precomputed table (mode 1) the list term sum_m T_list[m][c_m] is folded
// into one float per code, computed once per probed list and call, so no
// per-(query, list) table is ever built:
//   d = ||x - y_C||^2 + sum_m (T_list[m][c_m] - 2 <x_m, y_R(c_m)>).

namespace {

// One query's top-k while it scans: scores best first after heap::sort.
struct QueryHeap {
  float* s;
  int64_t* id;
  int64_t k;
  float thr;
  const int64_t* ids;  // the current list's ids
};

void emit_query_heap(void* ctx, int64_t, int64_t j, float score) {
  QueryHeap* h = static_cast<QueryHeap*>(ctx);
  const int64_t id = h->ids[j];
  if (score < h->s[0] || (score == h->s[0] && id < h->id[0])) {
    heap::replace_top(h->s, h->id, h->k, score, id);
    h->thr = h->s[0];
  }
}

struct QueryHits {
  std::vector<Hit>* hits;
  int64_t q;
  const int64_t* ids;
};

void emit_query_hit(void* ctx, int64_t, int64_t j, float score) {
  QueryHits* h = static_cast<QueryHits*>(ctx);
  h->hits->push_back({h->q, h->ids[j], score});
}

float dot(const float* a, const float* b, int64_t n) {
  float s = 0.0f;
  for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

// What every probed list needs for the scans: codes as the scan reads them
// (unpacked to uint16 for odd widths) and, in mode 1, the per-code list term.
struct ListPrep {
  std::vector<int64_t> slot;  // list -> index in the arrays below, or -1
  std::vector<ScanCodes> codes;
  std::vector<std::vector<uint16_t>> unpacked;
  std::vector<std::vector<float>> term;
};

ListPrep prepare_lists(const IvfSearchParams& p, const Shape& s, bool mode1) {
  ListPrep lp;
  lp.slot.assign(p.lists.nlist, -1);
  std::vector<int64_t> probed;
  for (int64_t i = 0; i < p.nq * p.nprobe; i++) {
    const int64_t l = p.assign[i];
    if (l >= 0 && l < p.lists.nlist && lp.slot[l] < 0) {
      lp.slot[l] = static_cast<int64_t>(probed.size());
      probed.push_back(l);
    }
  }
  const int64_t np = static_cast<int64_t>(probed.size());
  lp.codes.resize(np);
  lp.unpacked.resize(np);
  lp.term.resize(mode1 ? np : 0);
  const int64_t tab = s.M * s.ksub;
  parallel_for(np, 256, [&](int64_t i, int) {
    const int64_t l = probed[i];
    const int64_t n = p.lists.sizes[l];
    lp.codes[i] = scan_codes(s, p.lists.codes[l], n, lp.unpacked[i]);
    if (!mode1) return;
    std::vector<float>& e = lp.term[i];
    e.resize(n);
    const ScanCodes& sc = lp.codes[i];
    isa()->sums(sc.codes, n, sc.stride, sc.bits, s.M, s.ksub, p.precomputed + l * tab, e.data());
  });
  return lp;
}

// Scans every probed list of queries [q0, q1); `visit(q, a, ids)` arms the
// emitter for query q's list and runs the scan.
template <typename Visit>
void scan_queries(const IvfSearchParams& p, const Shape& s, const ListPrep& lp, const Transposed* tr_all, const float* qtabs,
                  int64_t q0, int64_t q1, Visit&& visit) {
  const PqIsa* k = isa();
  const bool l2 = p.metric == kMetricL2;
  const bool mode1 = l2 && p.by_residual && p.precomputed;
  const bool mode0 = l2 && p.by_residual && !p.precomputed;
  const int64_t tab = s.M * s.ksub;
  std::vector<float> own, residual;
  const Transposed* tr = tr_all;
  if (mode0) {
    own.resize(tab);
    residual.resize(s.d);
  }
  for (int64_t q = q0; q < q1; q++) {
    const float* x = p.xq + q * s.d;
    for (int64_t pr = 0; pr < p.nprobe; pr++) {
      const int64_t pi = q * p.nprobe + pr;
      const int64_t l = p.assign[pi];
      if (l < 0 || l >= p.lists.nlist) continue;
      const int64_t n = p.lists.sizes[l];
      if (n == 0) continue;
      const int64_t li = lp.slot[l];
      const float* table = qtabs ? qtabs + q * tab : nullptr;
      float dis0 = 0.0f;
      const float* addend = nullptr;
      if (mode1) {
        dis0 = p.coarse_dis[pi];
        addend = lp.term[li].data();
      } else if (mode0) {
        const float* c = p.coarse + l * s.d;
        for (int64_t u = 0; u < s.d; u++) residual[u] = x[u] - c[u];
        k->tables(residual.data(), 1, s.d, tr->ptr, s.M, s.ksub, s.dsub, true, 1.0f, own.data());
        table = own.data();
      } else if (!l2 && p.by_residual) {
        dis0 = dot(x, p.coarse + l * s.d, s.d);
      }
      ScanArgs a = scan_args(s, lp.codes[li], n, table, dis0, l2, false);
      a.fast = true;
      a.addend = addend;
      a.mask = p.lists.masks ? p.lists.masks[l] : nullptr;
      a.q = q;
      a.j0 = 0;
      visit(q, a, p.lists.ids[l]);
    }
  }
}

struct IvfSetup {
  Shape s;
  bool mode0, mode1;
  std::unique_ptr<Transposed> tr;
  ListPrep lp;
  int64_t block;
  int slots;
  std::vector<std::vector<float>> qtabs;  // per slot: the tables of one query block
};

IvfSetup ivf_setup(const IvfSearchParams& p) {
  IvfSetup st{Shape(p.codec), false, false, nullptr, {}, 16, 1, {}};
  const bool l2 = p.metric == kMetricL2;
  st.mode1 = l2 && p.by_residual && p.precomputed;
  st.mode0 = l2 && p.by_residual && !p.precomputed;
  st.tr.reset(new Transposed(p.codec, st.s));
  st.lp = prepare_lists(p, st.s, st.mode1);
  st.block = std::max<int64_t>(1, std::min<int64_t>(kTableBlock, ceil_div(p.nq, 4 * get_num_threads())));
  st.slots = planned_slots(ceil_div(p.nq, st.block));
  st.qtabs.resize(st.slots);
  return st;
}

// The query tables of queries [q0, q1) into the slot's buffer (null in mode 0):
// L2 non-residual: distance tables; IP: inner-product tables; mode 1: -2 <x_m, y_R>.
const float* block_tables(const IvfSearchParams& p, IvfSetup& st, int slot, int64_t q0, int64_t q1) {
  if (st.mode0) return nullptr;
  const int64_t tab = st.s.M * st.s.ksub;
  std::vector<float>& buf = st.qtabs[slot];
  buf.resize(st.block * tab);
  const bool dist = p.metric == kMetricL2 && !p.by_residual;
  isa()->tables(p.xq + q0 * st.s.d, q1 - q0, st.s.d, st.tr->ptr, st.s.M, st.s.ksub, st.s.dsub, dist, st.mode1 ? -2.0f : 1.0f,
                buf.data());
  return buf.data() - q0 * tab;  // indexed by absolute query number
}

}  // namespace

void ivf_search(const IvfSearchParams& p) {
  if (p.nq == 0) return;
  IvfSetup st = ivf_setup(p);
  const bool l2 = p.metric == kMetricL2;
  const float pad = l2 ? kInf : -kInf;
  parallel_for(ceil_div(p.nq, st.block), st.slots, [&](int64_t task, int slot) {
    const int64_t q0 = task * st.block;
    const int64_t q1 = std::min(p.nq, q0 + st.block);
    const float* qt = block_tables(p, st, slot, q0, q1);
    std::vector<QueryHeap> heaps(q1 - q0);
    for (int64_t q = q0; q < q1; q++) {
      QueryHeap& h = heaps[q - q0];
      h.s = p.distances + q * p.k;
      h.id = p.labels + q * p.k;
      h.k = p.k;
      heap::init(h.s, h.id, p.k);
      h.thr = kInf;
    }
    scan_queries(p, st.s, st.lp, st.tr.get(), qt, q0, q1,
                 [&](int64_t q, ScanArgs& a, const int64_t* ids) {
                   QueryHeap& h = heaps[q - q0];
                   h.ids = ids;
                   a.thr = &h.thr;
                   a.emit = {&emit_query_heap, &h};
                   isa()->scan(&a);
                 });
    for (int64_t q = q0; q < q1; q++) {
      QueryHeap& h = heaps[q - q0];
      heap::sort(h.s, h.id, p.k);
      for (int64_t e = 0; e < p.k; e++) {
        if (h.s[e] < kInf) {
          if (!l2) h.s[e] = -h.s[e];
        } else {
          h.s[e] = pad;
          h.id[e] = -1;
        }
      }
    }
  });
}

RangeResult ivf_range_search(const IvfSearchParams& p) {
  if (p.nq == 0) {
    RangeResult r;
    r.lims.assign(1, 0);
    return r;
  }
  IvfSetup st = ivf_setup(p);
  const int64_t ntasks = ceil_div(p.nq, st.block);
  std::vector<std::vector<Hit>> hits(ntasks);
  float limit = p.metric == kMetricL2 ? p.radius : -p.radius;
  parallel_for(ntasks, st.slots, [&](int64_t task, int slot) {
    const int64_t q0 = task * st.block;
    const int64_t q1 = std::min(p.nq, q0 + st.block);
    const float* qt = block_tables(p, st, slot, q0, q1);
    QueryHits h{&hits[task], 0, nullptr};
    float thr = limit;
    scan_queries(p, st.s, st.lp, st.tr.get(), qt, q0, q1,
                 [&](int64_t q, ScanArgs& a, const int64_t* ids) {
                   h.q = q;
                   h.ids = ids;
                   a.thr = &thr;
                   a.emit = {&emit_query_hit, &h};
                   isa()->scan(&a);
                 });
  });
  // tasks cover queries in order and each query's hits come in probe order (FAISS's order)
  return quant::collect_hits(hits, p.nq, p.metric, 0);
}

}  // namespace pq
}  // namespace mk
