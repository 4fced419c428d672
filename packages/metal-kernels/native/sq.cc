#include "sq.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "cpu-dispatch.h"
#include "isa/sq-isa.h"
#include "pq-sq-common.h"
#include "thread-pool.h"

namespace mk {
namespace sq {
namespace {

using quant::Buffer;
using quant::ceil_div;
using quant::Heaps;
using quant::Hit;
using quant::kInf;

// The SQ kernels of the level cpu-dispatch selected (setSimd applies here too).
const SqIsa* isa() {
  const char* name = current_isa()->name;
#if defined(__x86_64__) || defined(_M_X64)
  if (std::strcmp(name, "avx512") == 0) return sq_isa_avx512();
  if (std::strcmp(name, "avx2") == 0) return sq_isa_avx2();
#endif
  (void)name;
  return sq_isa_generic();
}

bool uniform(int qtype) { return qtype == QT_8bit_uniform || qtype == QT_4bit_uniform; }

int bits_of(int qtype) {
  switch (qtype) {
    case QT_4bit:
    case QT_4bit_uniform: return 4;
    case QT_6bit: return 6;
    case QT_fp16: return 16;
    default: return 8;
  }
}

int kind_of(int qtype, int64_t d) {
  switch (qtype) {
    case QT_4bit:
    case QT_4bit_uniform: return kKind4;
    case QT_6bit: return kKind6;
    case QT_fp16: return kKindFp16;
    case QT_8bit_direct: return d % 16 == 0 ? kKindByte : kKind8;
    default: return kKind8;
  }
}

float from_bits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
uint32_t to_bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

// FAISS's encode_fp16 (fp16-inl.h, after F. Giesen): rounds half away from
// zero in magnitude, which differs from F16C's round-to-nearest-even on ties.
uint16_t encode_fp16(float f) {
  uint32_t fint = to_bits(f);
  const uint32_t sign = fint & 0x80000000u;
  fint ^= sign;
  const uint32_t infty = 255u << 23;
  int32_t o = fint > infty ? 0x7e00 : 0x7c00;
  float fscale = from_bits(fint & ~0xfffu) * from_bits(15u << 23);
  fscale = std::min(fscale, from_bits((31u << 23) - 0x1000u));
  const int32_t fint2 = static_cast<int32_t>(to_bits(fscale) - ~0xfffu);
  if (fint < infty) o = fint2 >> 13;
  return static_cast<uint16_t>(o | static_cast<int32_t>(sign >> 16));
}

float decode_fp16(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t man = h & 0x3ffu;
  if (exp == 0x1fu) return from_bits(sign | 0x7f800000u | (man << 13));
  if (exp != 0) return from_bits(sign | ((exp + 112u) << 23) | (man << 13));
  if (man == 0) return from_bits(sign);
  exp = 113u;
  while (!(man & 0x400u)) {
    man <<= 1;
    exp--;
  }
  return from_bits(sign | (exp << 23) | ((man & 0x3ffu) << 13));
}

// FAISS's (uint8_t)x as compiled for x86-64: truncate to int32 (values outside
// int32, and NaN, give INT32_MIN), keep the low byte.
uint8_t float_to_byte(float x) {
  const double v = x;
  if (!(v > -2147483649.0 && v < 2147483648.0)) return 0;
  return static_cast<uint8_t>(static_cast<uint32_t>(static_cast<int32_t>(v)));
}

void pack(int bits, const uint8_t* lv, int64_t d, uint8_t* code) {
  if (bits == 8) {
    std::memcpy(code, lv, d);
  } else if (bits == 4) {
    for (int64_t i = 0; i < d; i++) code[i / 2] |= static_cast<uint8_t>(lv[i] << ((i & 1) << 2));
  } else {
    for (int64_t i = 0; i < d; i++) {
      const uint32_t b = lv[i];
      uint8_t* c = code + (i >> 2) * 3;
      switch (i & 3) {
        case 0: c[0] |= static_cast<uint8_t>(b); break;
        case 1:
          c[0] |= static_cast<uint8_t>(b << 6);
          c[1] |= static_cast<uint8_t>(b >> 2);
          break;
        case 2:
          c[1] |= static_cast<uint8_t>(b << 4);
          c[2] |= static_cast<uint8_t>(b >> 4);
          break;
        default: c[2] |= static_cast<uint8_t>(b << 2); break;
      }
    }
  }
}

uint32_t level_at(int bits, const uint8_t* code, int64_t i) {
  if (bits == 8) return code[i];
  if (bits == 4) return (code[i / 2] >> ((i & 1) << 2)) & 0xfu;
  // only the bytes component i occupies: the last group of a code with d % 4 != 0 is 1 or 2 bytes short
  const uint8_t* c = code + (i >> 2) * 3;
  switch (i & 3) {
    case 0: return c[0] & 63u;
    case 1: return (c[0] >> 6) | ((c[1] & 15u) << 2);
    case 2: return (c[1] >> 4) | ((c[2] & 3u) << 4);
    default: return c[2] >> 2;
  }
}

// The scan's view of a codec: A and B (x = A + B * level), the decode kind,
// and how a query vector becomes a prepared vector plus a constant.
struct Prepared {
  int kind;
  int metric;
  int64_t d, dpad, code_size;
  std::vector<float> A, B;  // dpad each, zero padded

  Prepared(const Codec& c, int metric_) : metric(metric_) {
    d = c.d;
    dpad = (d + 15) & ~int64_t(15);
    code_size = sq::code_size(c.qtype, d);
    kind = kind_of(c.qtype, d);
    A.assign(dpad, 0.0f);
    B.assign(dpad, 0.0f);
    const int bits = bits_of(c.qtype);
    if (c.qtype == QT_fp16 || c.qtype == QT_8bit_direct) {
      for (int64_t j = 0; j < d; j++) B[j] = 1.0f;
      return;
    }
    const double S = bits == 8 ? 255.0 : bits == 4 ? 15.0 : 63.0;
    for (int64_t j = 0; j < d; j++) {
      const double vmin = uniform(c.qtype) ? c.trained[0] : c.trained[j];
      const double vdiff = uniform(c.qtype) ? c.trained[1] : c.trained[d + j];
      B[j] = static_cast<float>(vdiff / S);
      A[j] = static_cast<float>(vmin + 0.5 * vdiff / S);
    }
  }

  // The L2 dot form pays off from this many queries per scan call on.
  static constexpr int64_t kDotMinQueries = 4;
  bool use_dot(int64_t nq) const { return metric == kMetricL2 && kind != kKindByte && nq >= kDotMinQueries; }

  // Writes the prepared vector (dpad floats, or dpad bytes for the byte kind)
  // of x - sub (sub may be null) and returns the constant to add.
  float prepare(const float* x, const float* sub, float* qv, uint8_t* qb, bool dot = false) const {
    if (kind == kKindByte) {
      for (int64_t j = 0; j < d; j++) qb[j] = float_to_byte(sub ? x[j] - sub[j] : x[j]);
      for (int64_t j = d; j < dpad; j++) qb[j] = 0;
      return 0.0f;
    }
    if (metric == kMetricL2 && dot) {
      double n2 = 0.0;
      for (int64_t j = 0; j < d; j++) {
        const float v = (sub ? x[j] - sub[j] : x[j]) - A[j];
        qv[j] = -2.0f * v * B[j];
        n2 += static_cast<double>(v) * v;
      }
      for (int64_t j = d; j < dpad; j++) qv[j] = 0.0f;
      return static_cast<float>(n2);
    }
    if (metric == kMetricL2) {
      for (int64_t j = 0; j < d; j++) qv[j] = (sub ? x[j] - sub[j] : x[j]) - A[j];
      for (int64_t j = d; j < dpad; j++) qv[j] = 0.0f;
      return 0.0f;
    }
    double c = 0.0;
    for (int64_t j = 0; j < d; j++) {
      const float v = sub ? x[j] - sub[j] : x[j];
      qv[j] = v * B[j];
      c += static_cast<double>(v) * A[j];
    }
    for (int64_t j = d; j < dpad; j++) qv[j] = 0.0f;
    return static_cast<float>(c);
  }
};

// Prepared queries of a batch.
struct Queries {
  Buffer<float> qv;
  Buffer<uint8_t> qb;
  std::vector<float> qc;
  bool dot = false;
  void build(const Prepared& pr, const float* xq, int64_t nq) {
    const bool byte = pr.kind == kKindByte;
    dot = pr.use_dot(nq);
    qv.reset(byte ? 1 : nq * pr.dpad);
    qb.reset(byte ? nq * pr.dpad : 1);
    qc.assign(nq, 0.0f);
    parallel_for(ceil_div(nq, 64), 256, [&](int64_t t, int) {
      for (int64_t q = t * 64; q < std::min(nq, t * 64 + 64); q++)
        qc[q] = pr.prepare(xq + q * pr.d, nullptr, qv.get() + (byte ? 0 : q * pr.dpad), qb.get() + (byte ? q * pr.dpad : 0), dot);
    });
  }
};

ScanArgs scan_args(const Prepared& pr) {
  ScanArgs a{};
  a.kind = pr.kind;
  a.metric = pr.metric;
  a.d = pr.d;
  a.dpad = pr.dpad;
  a.code_size = pr.code_size;
  a.bvec = pr.B.data();
  return a;
}

// Codes per task: ~256 KB of codes, at least 4 tasks per thread when possible.
int64_t rows_per_task(int64_t nb, int64_t code_size) {
  const int64_t threads = get_num_threads();
  int64_t rows = std::max<int64_t>(16, (int64_t(256) << 10) / std::max<int64_t>(1, code_size));
  rows = std::min(rows, std::max<int64_t>(16, ceil_div(nb, 4 * threads)));
  return std::max<int64_t>(1, rows);
}

}  // namespace

int64_t code_size(int qtype, int64_t d) {
  switch (qtype) {
    case QT_4bit:
    case QT_4bit_uniform: return (d + 1) / 2;
    case QT_6bit: return (d * 6 + 7) / 8;
    case QT_fp16: return 2 * d;
    default: return d;
  }
}

int64_t trained_size(int qtype, int64_t d) {
  switch (qtype) {
    case QT_8bit:
    case QT_4bit:
    case QT_6bit: return 2 * d;
    case QT_8bit_uniform:
    case QT_4bit_uniform: return 2;
    default: return 0;
  }
}

void encode(const Codec& c, const float* x, int64_t n, uint8_t* codes) {
  if (n == 0) return;
  const SqIsa* k = isa();
  const int64_t d = c.d;
  const int64_t cs = code_size(c.qtype, d);
  const int bits = bits_of(c.qtype);
  const bool uni = uniform(c.qtype);
  const int64_t rows = std::max<int64_t>(1, (int64_t(64) << 10) / (4 * d));
  parallel_for(ceil_div(n, rows), 256, [&](int64_t t, int) {
    std::vector<uint8_t> lv(d);
    const int64_t end = std::min(n, (t + 1) * rows);
    for (int64_t i = t * rows; i < end; i++) {
      const float* xi = x + i * d;
      uint8_t* code = codes + i * cs;
      std::memset(code, 0, cs);
      if (c.qtype == QT_fp16) {
        for (int64_t j = 0; j < d; j++) {
          const uint16_t h = encode_fp16(xi[j]);
          code[2 * j] = static_cast<uint8_t>(h & 0xff);
          code[2 * j + 1] = static_cast<uint8_t>(h >> 8);
        }
      } else if (c.qtype == QT_8bit_direct) {
        for (int64_t j = 0; j < d; j++) code[j] = float_to_byte(xi[j]);
      } else {
        k->levels(xi, d, c.trained, uni ? c.trained + 1 : c.trained + d, uni ? 1 : 0, bits, lv.data());
        pack(bits, lv.data(), d, code);
      }
    }
  });
}

void decode(const Codec& c, const uint8_t* codes, int64_t n, float* out) {
  if (n == 0) return;
  const int64_t d = c.d;
  const int64_t cs = code_size(c.qtype, d);
  const int bits = bits_of(c.qtype);
  const bool uni = uniform(c.qtype);
  const float S = bits == 8 ? 255.0f : bits == 4 ? 15.0f : 63.0f;
  const int64_t rows = std::max<int64_t>(1, (int64_t(64) << 10) / (4 * d));
  parallel_for(ceil_div(n, rows), 256, [&](int64_t t, int) {
    const int64_t end = std::min(n, (t + 1) * rows);
    for (int64_t i = t * rows; i < end; i++) {
      const uint8_t* code = codes + i * cs;
      float* xi = out + i * d;
      if (c.qtype == QT_fp16) {
        for (int64_t j = 0; j < d; j++) xi[j] = decode_fp16(static_cast<uint16_t>(code[2 * j] | (code[2 * j + 1] << 8)));
      } else if (c.qtype == QT_8bit_direct) {
        for (int64_t j = 0; j < d; j++) xi[j] = code[j];
      } else {
        for (int64_t j = 0; j < d; j++) {
          // exactly FAISS's float expression (this file is compiled for the
          // baseline ISA: no FMA contraction)
          const float level = (static_cast<float>(level_at(bits, code, j)) + 0.5f) / S;
          const float vmin = uni ? c.trained[0] : c.trained[j];
          const float vdiff = uni ? c.trained[1] : c.trained[d + j];
          const float prod = level * vdiff;
          xi[j] = vmin + prod;
        }
      }
    }
  });
}

void search(const SearchParams& p) {
  if (p.nq == 0) return;
  const int64_t keff = std::min(p.k, p.nb);
  if (keff == 0) {
    std::vector<Heaps> none(1);
    none[0].init(p.nq, 1);
    quant::merge_write(none, p.nq, 0, p.k, p.metric, 0, p.distances, p.labels);
    return;
  }
  const SqIsa* k = isa();
  Prepared pr(p.codec, p.metric);
  Queries qs;
  qs.build(pr, p.xq, p.nq);
  const int64_t rows = rows_per_task(p.nb, pr.code_size);
  const int64_t ntasks = ceil_div(p.nb, rows);
  const int slots = planned_slots(ntasks);
  std::vector<Heaps> heaps(slots);
  for (auto& h : heaps) h.init(p.nq, keff);
  std::vector<std::vector<float>> norms(slots, std::vector<float>(qs.dot ? rows : 0));
  parallel_for(ntasks, slots, [&](int64_t t, int slot) {
    Heaps& h = heaps[slot];
    ScanArgs a = scan_args(pr);
    a.l2dot = qs.dot;
    a.cnorm = norms[slot].data();
    a.qv = qs.qv.get();
    a.qb = qs.qb.get();
    a.qc = qs.qc.data();
    a.nq = p.nq;
    a.j0 = t * rows;
    a.codes = p.codes + a.j0 * pr.code_size;
    a.ncodes = std::min(rows, p.nb - a.j0);
    a.mask = p.mask ? p.mask + a.j0 : nullptr;
    a.thr = h.thr.data();
    a.emit = {&quant::emit_heap, &h};
    k->scan(&a);
  });
  quant::merge_write(heaps, p.nq, keff, p.k, p.metric, p.label_offset, p.distances, p.labels);
}

RangeResult range_search(const RangeParams& p) {
  if (p.nq == 0 || p.nb == 0) {
    RangeResult r;
    r.lims.assign(p.nq + 1, 0);
    return r;
  }
  const SqIsa* k = isa();
  Prepared pr(p.codec, p.metric);
  Queries qs;
  qs.build(pr, p.xq, p.nq);
  const float limit = p.metric == kMetricL2 ? p.radius : -p.radius;
  std::vector<float> thr(p.nq, limit);
  const int64_t rows = rows_per_task(p.nb, pr.code_size);
  const int64_t ntasks = ceil_div(p.nb, rows);
  std::vector<std::vector<Hit>> hits(ntasks);
  parallel_for(ntasks, 256, [&](int64_t t, int) {
    std::vector<float> norms(qs.dot ? rows : 0);
    ScanArgs a = scan_args(pr);
    a.l2dot = qs.dot;
    a.cnorm = norms.data();
    a.qv = qs.qv.get();
    a.qb = qs.qb.get();
    a.qc = qs.qc.data();
    a.nq = p.nq;
    a.j0 = t * rows;
    a.codes = p.codes + a.j0 * pr.code_size;
    a.ncodes = std::min(rows, p.nb - a.j0);
    a.mask = p.mask ? p.mask + a.j0 : nullptr;
    a.thr = thr.data();
    a.emit = {&quant::emit_hit, &hits[t]};
    k->scan(&a);
  });
  return quant::collect_hits(hits, p.nq, p.metric, p.label_offset);
}

// ---------------------------------------------------------------- IVF

namespace {

// The (query, probe) pairs of each list, and the tasks that scan them.
struct ListWork {
  std::vector<int64_t> start;  // nlist + 1 offsets into pairs
  std::vector<int64_t> pairs;  // q * nprobe + p, grouped by list
  std::vector<int64_t> order;  // non-empty lists, most work first
};

ListWork group_by_list(const int64_t* assign, int64_t nq, int64_t nprobe, const IvfLists& lists) {
  ListWork w;
  w.start.assign(lists.nlist + 1, 0);
  for (int64_t i = 0; i < nq * nprobe; i++) {
    const int64_t l = assign[i];
    if (l >= 0 && l < lists.nlist) w.start[l + 1]++;
  }
  for (int64_t l = 0; l < lists.nlist; l++) w.start[l + 1] += w.start[l];
  w.pairs.resize(w.start[lists.nlist]);
  std::vector<int64_t> pos(w.start.begin(), w.start.end() - 1);
  for (int64_t i = 0; i < nq * nprobe; i++) {
    const int64_t l = assign[i];
    if (l >= 0 && l < lists.nlist) w.pairs[pos[l]++] = i;
  }
  for (int64_t l = 0; l < lists.nlist; l++)
    if (w.start[l + 1] > w.start[l] && lists.sizes[l] > 0) w.order.push_back(l);
  std::stable_sort(w.order.begin(), w.order.end(), [&](int64_t a, int64_t b) {
    return (w.start[a + 1] - w.start[a]) * lists.sizes[a] > (w.start[b + 1] - w.start[b]) * lists.sizes[b];
  });
  return w;
}

struct IvfEmit {
  Heaps* heaps;                 // top-k mode
  std::vector<Hit>* hits;       // range mode
  const int64_t* pair_query;    // group-local pair -> query
  const int64_t* ids;           // the list's ids
  float* thr;                   // group-local thresholds
};

void ivf_emit_heap(void* ctx, int64_t q, int64_t j, float score) {
  IvfEmit* e = static_cast<IvfEmit*>(ctx);
  const int64_t qi = e->pair_query[q];
  e->heaps->push(qi, e->ids[j], score);
  e->thr[q] = e->heaps->thr[qi];
}

void ivf_emit_hit(void* ctx, int64_t q, int64_t j, float score) {
  IvfEmit* e = static_cast<IvfEmit*>(ctx);
  e->hits->push_back({e->pair_query[q], e->ids[j], score});
}

// Per slot: prepared vectors of the pairs of one list.
struct PairScratch {
  Buffer<float> qv;
  Buffer<uint8_t> qb;
  std::vector<float> qc, thr, norms;
  std::vector<int64_t> query;
  int64_t cap = 0;
  void reserve(int64_t n, int64_t dpad) {
    if (n <= cap) return;
    cap = n;
    qv.reset(n * dpad);
    qb.reset(n * dpad);
    qc.resize(n);
    thr.resize(n);
    query.resize(n);
  }
};

// Per-query vectors shared by every list a query probes (the dot forms):
// IP: q * B (constant sum q A); L2: -2 (q - A) B and q - A.
struct SharedQueries {
  bool on = false;
  Buffer<float> qv, qa;
  std::vector<float> qconst;  // IP: sum q A; L2: ||q - A||^2
  void build(const IvfSearchParams& p, const Prepared& pr, const SqIsa* k) {
    on = pr.kind != kKindByte;
    if (!on) return;
    const bool l2 = p.metric == kMetricL2;
    const int64_t dpad = pr.dpad;
    qv.reset(p.nq * dpad);
    if (l2) qa.reset(p.nq * dpad);
    qconst.assign(p.nq, 0.0f);
    std::vector<float> zero(dpad, 0.0f);
    parallel_for(ceil_div(p.nq, 64), 256, [&](int64_t t, int) {
      for (int64_t q = t * 64; q < std::min(p.nq, t * 64 + 64); q++) {
        const float* x = p.xq + q * pr.d;
        float* v = qv.get() + q * dpad;
        if (l2) {
          float* a = qa.get() + q * dpad;
          for (int64_t j = 0; j < pr.d; j++) {
            a[j] = x[j] - pr.A[j];
            v[j] = -2.0f * a[j] * pr.B[j];
          }
          for (int64_t j = pr.d; j < dpad; j++) a[j] = v[j] = 0.0f;
          qconst[q] = k->l2sq(a, zero.data(), dpad);
        } else {
          qconst[q] = pr.prepare(x, nullptr, v, nullptr, false);
        }
      }
    });
  }
};

template <typename Setup>
void ivf_run(const IvfSearchParams& p, const Prepared& pr, const ListWork& w, int slots, Setup&& setup) {
  const SqIsa* k = isa();
  const bool l2 = p.metric == kMetricL2;
  const bool byte = pr.kind == kKindByte;
  SharedQueries shared;
  shared.build(p, pr, k);
  std::vector<PairScratch> scratch(slots);
  std::vector<std::vector<const float*>> qptrs(slots);
  std::vector<std::vector<float>> shifts(slots);
  parallel_for(static_cast<int64_t>(w.order.size()), slots, [&](int64_t t, int slot) {
    const int64_t l = w.order[t];
    const int64_t n = w.start[l + 1] - w.start[l];
    PairScratch& s = scratch[slot];
    s.reserve(n, pr.dpad);
    const float* centroid = p.by_residual && l2 ? p.centroids + l * pr.d : nullptr;
    // IP always scores from the shared vectors; L2 does from kDotMinQueries pairs on
    const bool use_shared = shared.on && (!l2 || pr.use_dot(n));
    const bool dot = l2 && use_shared;
    std::vector<const float*>& qp = qptrs[slot];
    qp.resize(n);
    std::vector<float>& shift = shifts[slot];
    if (dot && centroid) {
      shift.assign(pr.dpad, 0.0f);
      std::memcpy(shift.data(), centroid, pr.d * sizeof(float));
    }
    for (int64_t i = 0; i < n; i++) {
      const int64_t pi = w.pairs[w.start[l] + i];
      const int64_t q = pi / p.nprobe;
      s.query[i] = q;
      float c;
      if (use_shared) {
        qp[i] = shared.qv.get() + q * pr.dpad;
        if (!l2) c = shared.qconst[q];
        else if (centroid) c = k->l2sq(shared.qa.get() + q * pr.dpad, shift.data(), pr.dpad);
        else c = shared.qconst[q];
      } else {
        c = pr.prepare(p.xq + q * pr.d, centroid, s.qv.get() + (byte ? 0 : i * pr.dpad), s.qb.get() + (byte ? i * pr.dpad : 0),
                       false);
      }
      if (p.by_residual && !l2) c += p.coarse_dis[pi];
      s.qc[i] = c;
    }
    ScanArgs a = scan_args(pr);
    a.qv = s.qv.get();
    a.qvp = use_shared ? qp.data() : nullptr;
    a.qb = s.qb.get();
    a.qc = s.qc.data();
    a.nq = n;
    a.codes = p.lists.codes[l];
    a.ncodes = p.lists.sizes[l];
    a.j0 = 0;
    a.mask = p.lists.masks ? p.lists.masks[l] : nullptr;
    a.thr = s.thr.data();
    a.l2dot = dot;
    if (dot) {
      s.norms.resize(p.lists.sizes[l]);
      a.cnorm = s.norms.data();
      a.shift = centroid ? shift.data() : nullptr;
    }
    IvfEmit e{};
    e.pair_query = s.query.data();
    e.ids = p.lists.ids[l];
    e.thr = s.thr.data();
    setup(slot, t, s, a, e);
    a.emit.ctx = &e;
    k->scan(&a);
  });
}

}  // namespace

void ivf_search(const IvfSearchParams& p) {
  if (p.nq == 0) return;
  Prepared pr(p.codec, p.metric);
  ListWork w = group_by_list(p.assign, p.nq, p.nprobe, p.lists);
  const int slots = planned_slots(static_cast<int64_t>(w.order.size()));
  std::vector<Heaps> heaps(slots);
  for (auto& h : heaps) h.init(p.nq, p.k);
  ivf_run(p, pr, w, slots, [&](int slot, int64_t, PairScratch& s, ScanArgs& a, IvfEmit& e) {
    Heaps& h = heaps[slot];
    for (int64_t i = 0; i < a.nq; i++) s.thr[i] = h.thr[s.query[i]];
    e.heaps = &h;
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
  Prepared pr(p.codec, p.metric);
  ListWork w = group_by_list(p.assign, p.nq, p.nprobe, p.lists);
  const int64_t ntasks = static_cast<int64_t>(w.order.size());
  const int slots = planned_slots(ntasks);
  std::vector<std::vector<Hit>> hits(ntasks);
  const float limit = p.metric == kMetricL2 ? p.radius : -p.radius;
  ivf_run(p, pr, w, slots, [&](int, int64_t t, PairScratch& s, ScanArgs& a, IvfEmit& e) {
    for (int64_t i = 0; i < a.nq; i++) s.thr[i] = limit;
    e.hits = &hits[t];
    a.emit.fn = &ivf_emit_hit;
  });
  // Each query's hits come list by list (in a deterministic task order, not
  // FAISS's probe order); callers compare them as sets.
  return quant::collect_hits(hits, p.nq, p.metric, 0);
}

}  // namespace sq
}  // namespace mk
