#include "hnsw.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <queue>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cpu-dispatch.h"
#include "hamming.h"
#include "isa/hnsw-isa.h"
#include "thread-pool.h"

namespace mk {
namespace {

bool cpu_has_vnni() {
#if defined(__x86_64__) || defined(_M_X64)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512vnni");
#else
  return false;
#endif
}

const HnswIsa* hnsw_isa() {
  const std::string level = current_isa()->name;
#if defined(__x86_64__) || defined(_M_X64)
  static const bool vnni = cpu_has_vnni();
  if (level == "avx512") return vnni ? hnsw_isa_avx512vnni() : hnsw_isa_avx512();
  if (level == "avx2") return hnsw_isa_avx2();
#endif
  return hnsw_isa_generic();
}

// Neighbour slots are read by concurrent insertions without the owner's lock
// (as FAISS does); relaxed atomic accesses keep that well defined.
inline int32_t load_slot(const int32_t* p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
inline void store_slot(int32_t* p, int32_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }

[[noreturn]] void corrupt(const char* what) {
  throw std::runtime_error(std::string("inconsistent HNSW graph: ") + what);
}

// ------------------------------------------------------------------ graph view

struct View {
  const HnswGraph& g;
  int64_t nslots;

  explicit View(const HnswGraph& graph) : g(graph), nslots(graph.offsets[graph.ntotal]) {}

  int nb_neighbors(int level) const { return g.cum[level + 1] - g.cum[level]; }

  // Starts loading the first slots of a node's list (a candidate that will
  // probably be expanded soon).
  void prefetch_list(int64_t no, int level) const {
    const int64_t b = g.offsets[no] + g.cum[level];
    if (b >= 0 && b < nslots) __builtin_prefetch(g.neighbors + b, 0, 3);
  }

  // [begin, end) slots of node `no` at `level`, bounds-checked so that a
  // malformed graph fails instead of reading outside the arrays.
  void range(int64_t no, int level, int64_t* begin, int64_t* end) const {
    if (no < 0 || no >= g.ntotal) corrupt("neighbour id out of range");
    if (level < 0 || level + 1 >= g.ncum) corrupt("level out of range");
    const int64_t o = g.offsets[no];
    *begin = o + g.cum[level];
    *end = o + g.cum[level + 1];
    if (*begin < 0 || *end > nslots) corrupt("neighbour range outside the slot array");
  }
};

// ------------------------------------------------------------------ heaps (FAISS's, 1-based)

// Max-heap order with ties broken by the larger id first, as FAISS's CMax::cmp2.
template <typename TI>
inline bool cmax2(float a1, float b1, TI a2, TI b2) {
  return a1 > b1 || (a1 == b1 && a2 > b2);
}

template <typename TI>
void maxheap_push(size_t k, float* val, TI* ids, float v, TI id) {
  val--;
  ids--;
  size_t i = k;
  while (i > 1) {
    const size_t father = i >> 1;
    if (!cmax2<TI>(v, val[father], id, ids[father])) break;
    val[i] = val[father];
    ids[i] = ids[father];
    i = father;
  }
  val[i] = v;
  ids[i] = id;
}

template <typename TI>
void maxheap_pop(size_t k, float* val, TI* ids) {
  val--;
  ids--;
  const float v = val[k];
  const TI id = ids[k];
  size_t i = 1;
  for (;;) {
    const size_t i1 = i << 1, i2 = i1 + 1;
    if (i1 > k) break;
    if (i2 == k + 1 || cmax2<TI>(val[i1], val[i2], ids[i1], ids[i2])) {
      if (cmax2<TI>(v, val[i1], id, ids[i1])) break;
      val[i] = val[i1];
      ids[i] = ids[i1];
      i = i1;
    } else {
      if (cmax2<TI>(v, val[i2], id, ids[i2])) break;
      val[i] = val[i2];
      ids[i] = ids[i2];
      i = i2;
    }
  }
  val[i] = val[k];
  ids[i] = ids[k];
}

template <typename TI>
void maxheap_replace_top(size_t k, float* val, TI* ids, float v, TI id) {
  val--;
  ids--;
  size_t i = 1;
  for (;;) {
    const size_t i1 = i << 1, i2 = i1 + 1;
    if (i1 > k) break;
    if (i2 == k + 1 || cmax2<TI>(val[i1], val[i2], ids[i1], ids[i2])) {
      if (cmax2<TI>(v, val[i1], id, ids[i1])) break;
      val[i] = val[i1];
      ids[i] = ids[i1];
      i = i1;
    } else {
      if (cmax2<TI>(v, val[i2], id, ids[i2])) break;
      val[i] = val[i2];
      ids[i] = ids[i2];
      i = i2;
    }
  }
  val[i] = v;
  ids[i] = id;
}

// FAISS's heap_reorder: sorts a max-heap into increasing order in place;
// entries with id -1 are dropped and the tail padded with (FLT_MAX, -1).
void maxheap_reorder(size_t k, float* val, int64_t* ids) {
  size_t i, ii;
  for (i = 0, ii = 0; i < k; i++) {
    const float v = val[0];
    const int64_t id = ids[0];
    maxheap_pop<int64_t>(k - i, val, ids);
    val[k - ii - 1] = v;
    ids[k - ii - 1] = id;
    if (id != -1) ii++;
  }
  std::memmove(val, val + k - ii, ii * sizeof(*val));
  std::memmove(ids, ids + k - ii, ii * sizeof(*ids));
  for (; ii < k; ii++) {
    val[ii] = FLT_MAX;
    ids[ii] = -1;
  }
}

// FAISS 1.7.3's HNSW::MinimaxHeap, quirks included: popped entries stay in
// the heap with id -1, count_below counts them, and push decrements nvalid
// even when the entry it evicts was already popped.
struct MinimaxHeap {
  int n = 0, k = 0, nvalid = 0;
  std::vector<int32_t> ids;
  std::vector<float> dis;

  void reset(int capacity) {
    n = capacity;
    k = nvalid = 0;
    if (static_cast<int>(ids.size()) < capacity) {
      ids.resize(capacity);
      dis.resize(capacity);
    }
  }
  void push(int32_t i, float v) {
    if (k == n) {
      if (v >= dis[0]) return;
      maxheap_pop<int32_t>(k--, dis.data(), ids.data());
      --nvalid;
    }
    maxheap_push<int32_t>(++k, dis.data(), ids.data(), v, i);
    ++nvalid;
  }
  int size() const { return nvalid; }
  int pop_min(float* vmin_out) {
    int i = k - 1;
    while (i >= 0) {
      if (ids[i] != -1) break;
      i--;
    }
    if (i == -1) return -1;
    int imin = i;
    float vmin = dis[i];
    i--;
    while (i >= 0) {
      if (ids[i] != -1 && dis[i] < vmin) {
        vmin = dis[i];
        imin = i;
      }
      i--;
    }
    if (vmin_out) *vmin_out = vmin;
    const int ret = ids[imin];
    ids[imin] = -1;
    --nvalid;
    return ret;
  }
  int count_below(float thresh) const {
    int n_below = 0;
    for (int i = 0; i < k; i++)
      if (dis[i] < thresh) n_below++;
    return n_below;
  }
};

// FAISS's VisitedTable: a byte per node holding a generation number.
struct VisitedTable {
  std::vector<uint8_t> visited;
  uint8_t visno = 1;

  void prepare(int64_t n) {
    if (static_cast<int64_t>(visited.size()) != n) {
      visited.assign(static_cast<size_t>(n), 0);
      visno = 1;
    }
  }
  void set(int64_t no) { visited[no] = visno; }
  bool get(int64_t no) const { return visited[no] == visno; }
  void advance() {
    visno++;
    if (visno == 250) {
      std::memset(visited.data(), 0, visited.size());
      visno = 1;
    }
  }
};

// ------------------------------------------------------------------ distance computers

struct Dis {
  virtual ~Dis() = default;
  virtual void set_query(const void* q) = 0;
  // query to stored node i
  virtual float operator()(int64_t i) = 0;
  // query to four stored nodes (same values as four single calls)
  virtual void four(const int32_t* ids, float* out) {
    for (int t = 0; t < 4; t++) out[t] = (*this)(ids[t]);
  }
  // stored node i to stored node j (symmetric in i, j)
  virtual float symmetric(int64_t i, int64_t j) = 0;
  virtual void prefetch(int64_t) {}
  // starts loading the first `lines` cache lines of node i's vector
  virtual void prefetch_lines(int64_t i, size_t lines) { prefetch(i); }
  // whether query distances equal symmetric ones (edge distances may be cached)
  virtual bool exact_symmetric() const { return false; }
};

// Starts loading the first two cache lines of a vector: the hardware
// prefetcher follows the rest of the row once the stream has started
// (prefetching every line measured slower: the prefetches crowd the load
// queue).
inline void prefetch_bytes(const void* p, size_t bytes) {
  const char* c = static_cast<const char*>(p);
  __builtin_prefetch(c, 0, 3);
  if (bytes > 64) __builtin_prefetch(c + 64, 0, 3);
}

// Flat storage: float vectors, or their exact uint8 / int8 copy (same
// values). With the copy's norms and sums, a query whose values are all
// integers of the copy's type is compared in exact integer arithmetic:
// ||q - x||^2 = ||q||^2 + ||x||^2 - 2 q.x, with q.x from byte dot products
// (VNNI where available). Those distances are the exact values (rounded once
// to float); other queries take the float kernels.
template <bool kL2>
struct FlatDis final : Dis {
  const HnswIsa* isa;
  const char* yb;  // the vectors distances read (float or compact)
  int64_t d;
  int64_t row_bytes;
  int et;
  float (*qdis)(const float*, const void*, int64_t);
  void (*qdis4)(const float*, const void* const*, int64_t, float*);
  float (*sdis)(const void*, const void*, int64_t);
  const float* q = nullptr;
  // integer mode
  const int32_t* norms = nullptr;
  const int32_t* sums = nullptr;
  bool int_query = false;
  std::vector<uint8_t> qb;
  int64_t qnorm = 0, qsum = 0;

  FlatDis(const HnswIsa* i, const HnswStorage& s) : isa(i), d(s.d) {
    et = s.xb_compact ? s.compact_type : kElemF32;
    yb = s.xb_compact ? static_cast<const char*>(s.xb_compact) : reinterpret_cast<const char*>(s.xb);
    row_bytes = d * (et == kElemF32 ? 4 : 1);
    qdis = isa->dis[kL2][et];
    qdis4 = isa->dis4[kL2][et];
    sdis = isa->sym[kL2][et];
    if (et != kElemF32 && s.compact_norms && s.compact_sums && d <= (int64_t(1) << 15)) {
      norms = s.compact_norms;
      sums = s.compact_sums;
      qb.resize(static_cast<size_t>(d));
    }
  }
  // x^T y for stored rows, exact; a = the first operand's bytes
  inline int64_t dot_of(const uint8_t* a, int64_t a_sum, const uint8_t* y, int64_t y_row) const {
    if (et == kElemU8) return isa->idot(a, y, d, 0, 0x80) + 128 * a_sum;  // a . (y - 128) + 128 sum(a)
    return isa->idot(a, y, d, 0x80, 0) - 128 * static_cast<int64_t>(sums[y_row]);  // (a + 128) . y - 128 sum(y)
  }
  inline float finish(int64_t dot, int64_t an, int64_t row) const {
    if (kL2) return static_cast<float>(an + norms[row] - 2 * dot);
    return -static_cast<float>(dot);
  }
  void set_query(const void* qp) override {
    q = static_cast<const float*>(qp);
    int_query = false;
    if (!norms) return;
    const float lo = et == kElemU8 ? 0.0f : -128.0f;
    const float hi = et == kElemU8 ? 255.0f : 127.0f;
    int64_t sn = 0, ss = 0;
    for (int64_t j = 0; j < d; j++) {
      const float v = q[j];
      if (!(v >= lo && v <= hi) || v != static_cast<float>(static_cast<int>(v))) return;
      const int iv = static_cast<int>(v);
      qb[j] = static_cast<uint8_t>(iv);
      sn += iv * iv;
      ss += iv;
    }
    qnorm = sn;
    qsum = ss;
    int_query = true;
  }
  float operator()(int64_t i) override {
    if (int_query) return finish(dot_of(qb.data(), qsum, reinterpret_cast<const uint8_t*>(yb + i * row_bytes), i), qnorm, i);
    const float s = qdis(q, yb + i * row_bytes, d);
    return kL2 ? s : -s;
  }
  void four(const int32_t* ids, float* out) override {
    if (int_query) {
      const uint8_t* y[4] = {reinterpret_cast<const uint8_t*>(yb + ids[0] * row_bytes), reinterpret_cast<const uint8_t*>(yb + ids[1] * row_bytes),
                             reinterpret_cast<const uint8_t*>(yb + ids[2] * row_bytes), reinterpret_cast<const uint8_t*>(yb + ids[3] * row_bytes)};
      int64_t dots[4];
      if (et == kElemU8) {
        isa->idot4(qb.data(), y, d, 0, 0x80, dots);
        for (int t = 0; t < 4; t++) out[t] = finish(dots[t] + 128 * qsum, qnorm, ids[t]);
      } else {
        isa->idot4(qb.data(), y, d, 0x80, 0, dots);
        for (int t = 0; t < 4; t++) out[t] = finish(dots[t] - 128 * static_cast<int64_t>(sums[ids[t]]), qnorm, ids[t]);
      }
      return;
    }
    const void* y[4] = {yb + ids[0] * row_bytes, yb + ids[1] * row_bytes, yb + ids[2] * row_bytes, yb + ids[3] * row_bytes};
    qdis4(q, y, d, out);
    if (!kL2)
      for (int t = 0; t < 4; t++) out[t] = -out[t];
  }
  float symmetric(int64_t i, int64_t j) override {
    if (norms) {
      const uint8_t* a = reinterpret_cast<const uint8_t*>(yb + i * row_bytes);
      return finish(dot_of(a, sums[i], reinterpret_cast<const uint8_t*>(yb + j * row_bytes), j), norms[i], j);
    }
    const float s = sdis(yb + i * row_bytes, yb + j * row_bytes, d);
    return kL2 ? s : -s;
  }
  void prefetch(int64_t i) override { prefetch_bytes(yb + i * row_bytes, static_cast<size_t>(row_bytes)); }
  void prefetch_lines(int64_t i, size_t lines) override {
    const char* c = yb + i * row_bytes;
    const size_t lim = static_cast<size_t>(row_bytes) < lines * 64 ? static_cast<size_t>(row_bytes) : lines * 64;
    for (size_t o = 0; o < lim; o += 64) __builtin_prefetch(c + o, 0, 3);
  }
  // exact when both sides take the same arithmetic: the float kernels
  // (symmetric in their operands), or integers throughout
  bool exact_symmetric() const override { return norms ? int_query : true; }
};

struct BinaryDis final : Dis {
  const HammingIsa* isa;
  const uint8_t* codes;
  int64_t cs;
  const uint8_t* q = nullptr;

  BinaryDis(const HammingIsa* i, const uint8_t* c, int64_t code_size) : isa(i), codes(c), cs(code_size) {}
  void set_query(const void* qp) override { q = static_cast<const uint8_t*>(qp); }
  float operator()(int64_t i) override { return static_cast<float>(isa->distance(q, codes + i * cs, cs)); }
  float symmetric(int64_t i, int64_t j) override {
    return static_cast<float>(isa->distance(codes + j * cs, codes + i * cs, cs));
  }
  void prefetch(int64_t i) override { prefetch_bytes(codes + i * cs, static_cast<size_t>(cs)); }
};

// PQ with 8 bits per sub-quantizer: asymmetric distances through a per-query
// table (query sub-vector to every centroid), symmetric ones through the
// centroid-to-centroid table (FAISS's sdc_table). L2 only, as FAISS's
// IndexHNSWPQ.
struct PQDis final : Dis {
  const HnswIsa* isa;
  const uint8_t* codes;
  const float* centroids;
  int64_t m, dsub;
  const float* sdc;  // m * 256 * 256, or null when no symmetric distance is needed
  std::vector<float> table;

  PQDis(const HnswIsa* i, const HnswStorage& s, const float* sdc_table)
      : isa(i), codes(s.codes), centroids(s.pq_centroids), m(s.pq_m), dsub(s.d / s.pq_m), sdc(sdc_table),
        table(static_cast<size_t>(s.pq_m) * 256) {}
  void set_query(const void* qp) override {
    const float* q = static_cast<const float*>(qp);
    for (int64_t mm = 0; mm < m; mm++)
      for (int64_t c = 0; c < 256; c++)
        table[mm * 256 + c] = isa->dis[1][kElemF32](q + mm * dsub, centroids + (mm * 256 + c) * dsub, dsub);
  }
  float operator()(int64_t i) override {
    const uint8_t* c = codes + i * m;
    const float* t = table.data();
    float s = 0;
    for (int64_t mm = 0; mm < m; mm++) {
      s += t[c[mm]];
      t += 256;
    }
    return s;
  }
  float symmetric(int64_t i, int64_t j) override {
    if (!sdc) throw std::logic_error("PQ symmetric distances need the sdc table");
    const uint8_t* ci = codes + i * m;
    const uint8_t* cj = codes + j * m;
    float s = 0;
    for (int64_t mm = 0; mm < m; mm++) s += sdc[(mm * 256 + ci[mm]) * 256 + cj[mm]];
    return s;
  }
  void prefetch(int64_t i) override { prefetch_bytes(codes + i * m, static_cast<size_t>(m)); }
};

inline float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      exp = 127 - 15 + 1;
      while ((mant & 0x400) == 0) {
        mant <<= 1;
        exp--;
      }
      mant &= 0x3ff;
      bits = sign | (exp << 23) | (mant << 13);
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Decodes one scalar-quantizer code exactly as FAISS's ScalarQuantizer does.
void sq_decode(int qtype, const float* trained, int64_t d, const uint8_t* code, float* x) {
  switch (qtype) {
    case kSQ8bit:
      for (int64_t i = 0; i < d; i++) x[i] = trained[i] + ((code[i] + 0.5f) / 255.0f) * trained[d + i];
      break;
    case kSQ4bit:
      for (int64_t i = 0; i < d; i++)
        x[i] = trained[i] + ((((code[i / 2] >> ((i & 1) << 2)) & 0xf) + 0.5f) / 15.0f) * trained[d + i];
      break;
    case kSQ8bitUniform:
      for (int64_t i = 0; i < d; i++) x[i] = trained[0] + ((code[i] + 0.5f) / 255.0f) * trained[1];
      break;
    case kSQ4bitUniform:
      for (int64_t i = 0; i < d; i++)
        x[i] = trained[0] + ((((code[i / 2] >> ((i & 1) << 2)) & 0xf) + 0.5f) / 15.0f) * trained[1];
      break;
    case kSQfp16:
      for (int64_t i = 0; i < d; i++) {
        uint16_t h;
        std::memcpy(&h, code + 2 * i, 2);
        x[i] = half_to_float(h);
      }
      break;
    case kSQ8bitDirect:
      for (int64_t i = 0; i < d; i++) x[i] = code[i];
      break;
    case kSQ6bit:
      for (int64_t i = 0; i < d; i++) {
        const uint8_t* c = code + (i >> 2) * 3;
        uint8_t bits = 0;
        switch (i & 3) {
          case 0:
            bits = c[0] & 0x3f;
            break;
          case 1:
            bits = static_cast<uint8_t>((c[0] >> 6) | ((c[1] & 0xf) << 2));
            break;
          case 2:
            bits = static_cast<uint8_t>((c[1] >> 4) | ((c[2] & 3) << 4));
            break;
          default:
            bits = c[2] >> 2;
            break;
        }
        x[i] = trained[i] + ((bits + 0.5f) / 63.0f) * trained[d + i];
      }
      break;
    default:
      throw std::invalid_argument("unsupported scalar quantizer type " + std::to_string(qtype));
  }
}

struct SQDis final : Dis {
  const HnswIsa* isa;
  const HnswStorage& s;
  bool l2;
  const float* q = nullptr;
  std::vector<float> a, b;

  SQDis(const HnswIsa* i, const HnswStorage& st)
      : isa(i), s(st), l2(st.metric == 1), a(static_cast<size_t>(st.d)), b(static_cast<size_t>(st.d)) {}
  void set_query(const void* qp) override { q = static_cast<const float*>(qp); }
  float operator()(int64_t i) override {
    sq_decode(s.sq_type, s.sq_trained, s.d, s.codes + i * s.code_size, a.data());
    return l2 ? isa->dis[1][kElemF32](q, a.data(), s.d) : -isa->dis[0][kElemF32](q, a.data(), s.d);
  }
  float symmetric(int64_t i, int64_t j) override {
    sq_decode(s.sq_type, s.sq_trained, s.d, s.codes + i * s.code_size, a.data());
    sq_decode(s.sq_type, s.sq_trained, s.d, s.codes + j * s.code_size, b.data());
    return l2 ? isa->sym[1][kElemF32](a.data(), b.data(), s.d) : -isa->sym[0][kElemF32](a.data(), b.data(), s.d);
  }
  void prefetch(int64_t i) override { prefetch_bytes(s.codes + i * s.code_size, static_cast<size_t>(s.code_size)); }
};

std::unique_ptr<Dis> make_dis(const HnswStorage& s, const float* sdc) {
  const HnswIsa* isa = hnsw_isa();
  switch (s.kind) {
    case kHnswFlat:
      if (s.metric == 1) return std::unique_ptr<Dis>(new FlatDis<true>(isa, s));
      return std::unique_ptr<Dis>(new FlatDis<false>(isa, s));
    case kHnswBinary:
      return std::unique_ptr<Dis>(new BinaryDis(hamming_isa(), s.codes, s.code_size));
    case kHnswPQ:
      return std::unique_ptr<Dis>(new PQDis(isa, s, sdc));
    case kHnswSQ:
      return std::unique_ptr<Dis>(new SQDis(isa, s));
    default:
      throw std::invalid_argument("unknown HNSW storage kind");
  }
}

// Row `i` of the query / inserted-vector array.
const void* row_of(const HnswStorage& s, const void* x, int64_t i) {
  if (s.kind == kHnswBinary) return static_cast<const uint8_t*>(x) + i * s.code_size;
  return static_cast<const float*>(x) + i * s.d;
}

// ------------------------------------------------------------------ neighbour batches

// The unvisited neighbours of one list, marked visited in list order, with
// their distances computed four at a time (prefetching ahead).
struct Batch {
  int32_t ids[1024];
  float dis[1024];
  int n = 0;
};

template <typename Visit>
void gather_unvisited(const View& v, int64_t node, int level, VisitedTable& vt, Dis& dis, Batch& b, bool mark,
                      Visit&& skip) {
  int64_t begin, end;
  v.range(node, level, &begin, &end);
  b.n = 0;
  const int32_t* nb = v.g.neighbors;
  for (int64_t j = begin; j < end && b.n < 1024; j++) {
    const int32_t id = load_slot(nb + j);
    if (id < 0) break;
    if (id >= v.g.ntotal) corrupt("neighbour id out of range");
    if (skip(id)) continue;
    if (mark) vt.set(id);
    b.ids[b.n++] = id;
    __builtin_prefetch(v.g.offsets + id, 0, 3);  // for prefetch_list, if it becomes a candidate
  }
  const int n = b.n;
  constexpr int ahead = 8;  // vectors prefetched ahead of the one computed
  for (int t = 0; t < n && t < ahead; t++) dis.prefetch(b.ids[t]);
  int t = 0;
  for (; t + 4 <= n; t += 4) {
    for (int u = t + ahead; u < t + ahead + 4 && u < n; u++) dis.prefetch(b.ids[u]);
    dis.four(b.ids + t, b.dis + t);
  }
  for (; t < n; t++) b.dis[t] = dis(b.ids[t]);
}

void greedy_update_nearest(const View& v, Dis& dis, VisitedTable& vt, int level, int32_t& nearest, float& d_nearest,
                           Batch& b) {
  for (;;) {
    const int32_t prev = nearest;
    gather_unvisited(v, nearest, level, vt, dis, b, false, [](int32_t) { return false; });
    for (int t = 0; t < b.n; t++) {
      if (b.dis[t] < d_nearest) {
        nearest = b.ids[t];
        d_nearest = b.dis[t];
      }
    }
    if (nearest == prev) return;
  }
}

// The ids half of gather_unvisited: collects (and marks) the unvisited
// neighbours of a node and starts loading their vectors; compute_batch
// computes the distances later, once other queries have run meanwhile.
void gather_ids(const View& v, int64_t node, VisitedTable& vt, Dis& dis, Batch& b, size_t pf_lines);
void compute_batch(Dis& dis, Batch& b);

// ------------------------------------------------------------------ search

struct KnnSink {
  float* D;
  int64_t* I;
  int64_t k;
  int nres = 0;
  void add(float d, int64_t id) {
    if (nres < k) {
      maxheap_push<int64_t>(++nres, D, I, d, id);
    } else if (d < D[0]) {
      maxheap_replace_top<int64_t>(nres, D, I, d, id);
    }
  }
};

struct RangeSink {
  float thr;
  std::vector<float>* dis;
  std::vector<int64_t>* ids;
  void add(float d, int64_t id) {
    if (d < thr) {
      dis->push_back(d);
      ids->push_back(id);
    }
  }
};

template <typename Sink>
void search_from_candidates(const View& v, Dis& dis, Sink& sink, MinimaxHeap& candidates, VisitedTable& vt,
                            const HnswSearchParams& p, Batch& b) {
  const uint8_t* filter = p.filter;
  for (int i = 0; i < candidates.size(); i++) {
    const int32_t v1 = candidates.ids[i];
    if (!filter || filter[v1]) sink.add(candidates.dis[i], v1);
    vt.set(v1);
  }
  int nstep = 0;
  while (candidates.size() > 0) {
    float d0 = 0;
    const int v0 = candidates.pop_min(&d0);
    if (p.check_relative_distance) {
      if (candidates.count_below(d0) >= p.ef_search) break;
    }
    gather_unvisited(v, v0, 0, vt, dis, b, true, [&vt](int32_t id) { return vt.get(id); });
    for (int t = 0; t < b.n; t++) {
      const int32_t v1 = b.ids[t];
      const float d = b.dis[t];
      if (!filter || filter[v1]) sink.add(d, v1);
      if (candidates.k < candidates.n || d < candidates.dis[0]) v.prefetch_list(v1, 0);
      candidates.push(v1, d);
    }
    nstep++;
    if (!p.check_relative_distance && nstep > p.ef_search) break;
  }
}

using Node = std::pair<float, int32_t>;

// FAISS's search_from_candidate_unbounded (search_bounded_queue = false).
std::priority_queue<Node> search_unbounded(const View& v, Dis& dis, Node start, int ef, VisitedTable& vt, Batch& b) {
  std::priority_queue<Node> top;
  std::priority_queue<Node, std::vector<Node>, std::greater<Node>> candidates;
  top.push(start);
  candidates.push(start);
  vt.set(start.second);
  while (!candidates.empty()) {
    const float d0 = candidates.top().first;
    const int32_t v0 = candidates.top().second;
    if (d0 > top.top().first) break;
    candidates.pop();
    gather_unvisited(v, v0, 0, vt, dis, b, true, [&vt](int32_t id) { return vt.get(id); });
    for (int t = 0; t < b.n; t++) {
      const float d1 = b.dis[t];
      const int32_t v1 = b.ids[t];
      if (top.top().first > d1 || static_cast<int>(top.size()) < ef) {
        candidates.emplace(d1, v1);
        top.emplace(d1, v1);
        if (static_cast<int>(top.size()) > ef) top.pop();
      }
    }
  }
  return top;
}

struct SearchScratch {
  MinimaxHeap candidates;
  Batch batch;
};

// The upper-level descent, shared by k-NN and range search.
bool descend(const View& v, Dis& dis, VisitedTable& vt, int32_t* nearest, float* d_nearest, Batch& b) {
  if (v.g.entry_point < 0) return false;
  *nearest = v.g.entry_point;
  *d_nearest = dis(*nearest);
  for (int level = v.g.max_level; level >= 1; level--) greedy_update_nearest(v, dis, vt, level, *nearest, *d_nearest, b);
  return true;
}

void search_one(const View& v, Dis& dis, VisitedTable& vt, SearchScratch& sc, const HnswSearchParams& p, float* D,
                int64_t* I) {
  const int64_t k = p.k;
  for (int64_t i = 0; i < k; i++) {
    D[i] = FLT_MAX;
    I[i] = -1;
  }
  int32_t nearest;
  float d_nearest;
  if (descend(v, dis, vt, &nearest, &d_nearest, sc.batch)) {
    const int ef = std::max<int>(p.ef_search, static_cast<int>(std::min<int64_t>(k, 1 << 30)));
    if (p.bounded_queue) {
      sc.candidates.reset(ef);
      sc.candidates.push(nearest, d_nearest);
      KnnSink sink{D, I, k};
      search_from_candidates(v, dis, sink, sc.candidates, vt, p, sc.batch);
    } else {
      std::priority_queue<Node> top = search_unbounded(v, dis, Node(d_nearest, nearest), ef, vt, sc.batch);
      while (static_cast<int64_t>(top.size()) > k) top.pop();
      int nres = 0;
      while (!top.empty()) {
        // FAISS 1.7.3 ignores the selector on this path; so do we not:
        // filtered-out nodes are skipped here.
        if (!p.filter || p.filter[top.top().second]) maxheap_push<int64_t>(++nres, D, I, top.top().first, top.top().second);
        top.pop();
      }
    }
    vt.advance();
  }
  maxheap_reorder(static_cast<size_t>(k), D, I);
}

// Per-thread scratch reused across calls (a search of one query should not
// pay for a fresh visited table of ntotal bytes).
struct ThreadScratch {
  VisitedTable vt;
  SearchScratch sc;
};
thread_local ThreadScratch tls_scratch;

void finish_distances(const HnswStorage& s, int64_t n, float* D, const int64_t* I) {
  const bool ip = s.kind != kHnswBinary && s.metric == 0;
  for (int64_t i = 0; i < n; i++) {
    if (I[i] < 0) {
      D[i] = ip ? -__builtin_inff() : __builtin_inff();
    } else if (ip) {
      D[i] = -D[i];
    }
  }
}

void gather_ids(const View& v, int64_t node, VisitedTable& vt, Dis& dis, Batch& b, size_t pf_lines) {
  int64_t begin, end;
  v.range(node, 0, &begin, &end);
  b.n = 0;
  const int32_t* nb = v.g.neighbors;
  for (int64_t j = begin; j < end && b.n < 1024; j++) {
    const int32_t id = load_slot(nb + j);
    if (id < 0) break;
    if (id >= v.g.ntotal) corrupt("neighbour id out of range");
    if (vt.get(id)) continue;
    vt.set(id);
    b.ids[b.n++] = id;
    __builtin_prefetch(v.g.offsets + id, 0, 3);
  }
  for (int t = 0; t < b.n; t++) dis.prefetch_lines(b.ids[t], pf_lines);
}

void compute_batch(Dis& dis, Batch& b) {
  const int n = b.n;
  int t = 0;
  for (; t + 4 <= n; t += 4) dis.four(b.ids + t, b.dis + t);
  for (; t < n; t++) b.dis[t] = dis(b.ids[t]);
}

// One query of an interleaved group: its own distance computer, visited
// table, candidate queue and pending neighbour batch.
struct Lane {
  std::unique_ptr<Dis> dis;
  VisitedTable vt;
  MinimaxHeap cand;
  Batch batch;
  int64_t q = -1;
  float* D = nullptr;
  int64_t* I = nullptr;
  int nres = 0;
  int nstep = 0;
  bool pending = false;
};

thread_local std::vector<std::unique_ptr<Lane>> tls_lanes;

constexpr int kLanes = 4;          // queries in flight per thread
constexpr size_t kLaneLines = 4;   // cache lines prefetched per gathered vector

// FAISS's bounded-queue level-0 search (search_from_candidates with a k-NN
// result heap) for queries [q0, q1), kLanes of them interleaved: each step of
// a query computes the distances of the neighbours it gathered at its
// previous step (their loads started then, while the other queries ran) and
// gathers the next candidate's neighbours. Every query takes exactly the
// steps it would take alone.
void search_interleaved(const View& v, const HnswStorage& s, const void* xq, int64_t q0, int64_t q1,
                        const HnswSearchParams& p, float* distances, int64_t* labels) {
  auto& lanes = tls_lanes;
  if (static_cast<int>(lanes.size()) < kLanes) {
    lanes.clear();
    for (int i = 0; i < kLanes; i++) lanes.emplace_back(new Lane());
  }
  const int64_t k = p.k;
  const int ef = std::max<int>(p.ef_search, static_cast<int>(std::min<int64_t>(k, 1 << 30)));
  const uint8_t* filter = p.filter;
  int64_t next = q0;

  auto add = [&](Lane& L, float d, int64_t id) {
    if (filter && !filter[id]) return;
    if (L.nres < k) {
      maxheap_push<int64_t>(++L.nres, L.D, L.I, d, id);
    } else if (d < L.D[0]) {
      maxheap_replace_top<int64_t>(L.nres, L.D, L.I, d, id);
    }
  };
  auto start = [&](Lane& L) -> bool {
    while (next < q1) {
      const int64_t q = next++;
      L.q = q;
      L.D = distances + q * k;
      L.I = labels + q * k;
      for (int64_t i = 0; i < k; i++) {
        L.D[i] = FLT_MAX;
        L.I[i] = -1;
      }
      L.nres = 0;
      L.dis->set_query(row_of(s, xq, q));
      int32_t nearest;
      float d_nearest;
      if (!descend(v, *L.dis, L.vt, &nearest, &d_nearest, L.batch)) {
        maxheap_reorder(static_cast<size_t>(k), L.D, L.I);
        continue;
      }
      L.cand.reset(ef);
      L.cand.push(nearest, d_nearest);
      add(L, d_nearest, nearest);
      L.vt.set(nearest);
      L.nstep = 0;
      L.pending = false;
      return true;
    }
    L.q = -1;
    return false;
  };
  // one step; false when the query is complete
  auto step = [&](Lane& L) -> bool {
    if (L.pending) {
      compute_batch(*L.dis, L.batch);
      for (int t = 0; t < L.batch.n; t++) {
        const int32_t v1 = L.batch.ids[t];
        const float d = L.batch.dis[t];
        add(L, d, v1);
        if (L.cand.k < L.cand.n || d < L.cand.dis[0]) v.prefetch_list(v1, 0);
        L.cand.push(v1, d);
      }
      L.pending = false;
      L.nstep++;
      if (!p.check_relative_distance && L.nstep > p.ef_search) return false;
    }
    if (L.cand.size() <= 0) return false;
    float d0 = 0;
    const int v0 = L.cand.pop_min(&d0);
    if (p.check_relative_distance && L.cand.count_below(d0) >= p.ef_search) return false;
    gather_ids(v, v0, L.vt, *L.dis, L.batch, kLaneLines);
    L.pending = true;
    return true;
  };

  int active = 0;
  for (int i = 0; i < kLanes; i++) {
    Lane& L = *lanes[i];
    L.dis = make_dis(s, nullptr);
    L.vt.prepare(v.g.ntotal);
    if (start(L)) active++;
  }
  while (active > 0) {
    for (int i = 0; i < kLanes; i++) {
      Lane& L = *lanes[i];
      if (L.q < 0) continue;
      if (!step(L)) {
        L.vt.advance();
        maxheap_reorder(static_cast<size_t>(k), L.D, L.I);
        if (!start(L)) active--;
      }
    }
  }
}

}  // namespace

void hnsw_search(const HnswGraph& g, const HnswStorage& s, const void* xq, int64_t nq, const HnswSearchParams& p,
                 float* distances, int64_t* labels) {
  if (nq == 0) return;
  const View v(g);
  const int slots = planned_slots(nq);
  if (p.bounded_queue) {
    // blocks of queries, each searched with kLanes queries in flight
    const int64_t block = std::max<int64_t>(kLanes, std::min<int64_t>(64, nq / (4 * slots)));
    const int64_t nblocks = (nq + block - 1) / block;
    parallel_for(nblocks, slots, [&](int64_t b, int) {
      search_interleaved(v, s, xq, b * block, std::min(nq, (b + 1) * block), p, distances, labels);
    });
  } else {
    parallel_for(nq, slots, [&](int64_t q, int) {
      ThreadScratch& ts = tls_scratch;
      ts.vt.prepare(g.ntotal);
      std::unique_ptr<Dis> dis = make_dis(s, nullptr);
      dis->set_query(row_of(s, xq, q));
      search_one(v, *dis, ts.vt, ts.sc, p, distances + q * p.k, labels + q * p.k);
    });
  }
  finish_distances(s, nq * p.k, distances, labels);
}

HnswRangeResult hnsw_range_search(const HnswGraph& g, const HnswStorage& s, const void* xq, int64_t nq,
                                  const HnswSearchParams& p, float radius) {
  HnswRangeResult r;
  r.lims.assign(nq + 1, 0);
  if (nq == 0) return r;
  const View v(g);
  const bool ip = s.kind != kHnswBinary && s.metric == 0;
  std::vector<std::vector<float>> dis(nq);
  std::vector<std::vector<int64_t>> ids(nq);
  parallel_for(nq, planned_slots(nq), [&](int64_t q, int) {
    ThreadScratch& ts = tls_scratch;
    ts.vt.prepare(g.ntotal);
    std::unique_ptr<Dis> dc = make_dis(s, nullptr);
    dc->set_query(row_of(s, xq, q));
    int32_t nearest;
    float d_nearest;
    if (!descend(v, *dc, ts.vt, &nearest, &d_nearest, ts.sc.batch)) return;
    // internal distances are negated for inner product: similarity > r <=> -similarity < -r
    RangeSink sink{ip ? -radius : radius, &dis[q], &ids[q]};
    ts.sc.candidates.reset(std::max(1, p.ef_search));
    ts.sc.candidates.push(nearest, d_nearest);
    search_from_candidates(v, *dc, sink, ts.sc.candidates, ts.vt, p, ts.sc.batch);
    ts.vt.advance();
  });
  size_t total = 0;
  for (const auto& d : dis) total += d.size();
  r.distances.reserve(total);
  r.labels.reserve(total);
  for (int64_t q = 0; q < nq; q++) {
    for (float d : dis[q]) r.distances.push_back(ip ? -d : d);
    r.labels.insert(r.labels.end(), ids[q].begin(), ids[q].end());
    r.lims[q + 1] = static_cast<int64_t>(r.distances.size());
  }
  return r;
}

// ====================================================================== insertion

namespace {

struct NodeDistCloser {
  float d;
  int id;
  NodeDistCloser(float dd, int i) : d(dd), id(i) {}
  bool operator<(const NodeDistCloser& o) const { return d < o.d; }
};

struct NodeDistFarther {
  float d;
  int id;
  NodeDistFarther(float dd, int i) : d(dd), id(i) {}
  bool operator<(const NodeDistFarther& o) const { return d > o.d; }
};

// A one-byte spin lock per node: the locks are taken once per link and
// nearly never contended, so a byte array (cache friendly, unlike an array of
// 40-byte mutexes) with a short spin then yield is the cheapest choice.
class NodeLock {
 public:
  explicit NodeLock(std::atomic<uint8_t>& f) : f_(f) {}
  void lock() {
    for (int spins = 0; f_.exchange(1, std::memory_order_acquire) != 0; spins++) {
      while (f_.load(std::memory_order_relaxed) != 0) {
        if (spins < 64) {
#if defined(__x86_64__) || defined(_M_X64)
          __builtin_ia32_pause();
#endif
          spins++;
        } else {
          std::this_thread::yield();
        }
      }
    }
  }
  void unlock() { f_.store(0, std::memory_order_release); }

 private:
  std::atomic<uint8_t>& f_;
};

struct Builder {
  HnswGraph& g;
  View v;
  int32_t efc;
  bool cache;  // edge distances maintained (flat storage)
  std::unique_ptr<std::atomic<uint8_t>[]> locks;
  std::mutex entry;

  Builder(HnswGraph& graph, int32_t ef_construction, bool use_cache)
      : g(graph), v(graph), efc(ef_construction), cache(use_cache), locks(new std::atomic<uint8_t>[graph.ntotal > 0 ? graph.ntotal : 1]) {
    for (int64_t i = 0; i < (graph.ntotal > 0 ? graph.ntotal : 1); i++) locks[i].store(0, std::memory_order_relaxed);
  }

  NodeLock lock_of(int64_t node) { return NodeLock(locks[node]); }
};

// FAISS's HNSW::shrink_neighbor_list: visit candidates nearest first, keep
// one only if no kept neighbour is closer to it than the query is.
void shrink_neighbor_list(Dis& dis, std::priority_queue<NodeDistFarther>& input, std::vector<NodeDistFarther>& output,
                          int max_size) {
  while (!input.empty()) {
    const NodeDistFarther v1 = input.top();
    input.pop();
    const float dist_v1_q = v1.d;
    bool good = true;
    for (const NodeDistFarther& v2 : output) {
      const float dist_v1_v2 = dis.symmetric(v2.id, v1.id);
      if (dist_v1_v2 < dist_v1_q) {
        good = false;
        break;
      }
    }
    if (good) {
      output.push_back(v1);
      if (static_cast<int>(output.size()) >= max_size) return;
    }
  }
}

void shrink_neighbor_list(Dis& dis, std::priority_queue<NodeDistCloser>& result_set1, int max_size) {
  if (static_cast<int>(result_set1.size()) < max_size) return;
  std::priority_queue<NodeDistFarther> result_set;
  std::vector<NodeDistFarther> returnlist;
  while (!result_set1.empty()) {
    result_set.emplace(result_set1.top().d, result_set1.top().id);
    result_set1.pop();
  }
  shrink_neighbor_list(dis, result_set, returnlist, max_size);
  for (const NodeDistFarther& c : returnlist) result_set1.emplace(c.d, c.id);
}

// Adds the link src -> dest at `level` (src's lock held), shrinking src's
// list with the heuristic when it is full. d_src_dest is their distance when
// the caller knows it exactly (flat storage), NaN otherwise.
void add_link(Builder& bd, Dis& dis, int32_t src, int32_t dest, int level, float d_src_dest) {
  int64_t begin, end;
  bd.v.range(src, level, &begin, &end);
  int32_t* nb = bd.g.neighbors;
  float* ed = bd.cache ? bd.g.edge_distances : nullptr;
  if (load_slot(nb + end - 1) == -1) {
    int64_t i = end;
    while (i > begin) {
      if (load_slot(nb + i - 1) != -1) break;
      i--;
    }
    store_slot(nb + i, dest);
    if (ed) ed[i] = d_src_dest == d_src_dest ? d_src_dest : dis.symmetric(src, dest);
    return;
  }
  std::priority_queue<NodeDistCloser> result_set;
  const float dd = (ed && d_src_dest == d_src_dest) ? d_src_dest : dis.symmetric(src, dest);
  result_set.emplace(dd, dest);
  for (int64_t i = begin; i < end; i++) {
    const int32_t neigh = load_slot(nb + i);
    float d;
    if (ed) {
      d = ed[i];
      if (d != d) d = ed[i] = dis.symmetric(src, neigh);
    } else {
      d = dis.symmetric(src, neigh);
    }
    result_set.emplace(d, neigh);
  }
  shrink_neighbor_list(dis, result_set, static_cast<int>(end - begin));
  int64_t i = begin;
  while (!result_set.empty()) {
    if (ed) ed[i] = result_set.top().d;
    store_slot(nb + i, result_set.top().id);
    i++;
    result_set.pop();
  }
  while (i < end) {
    if (ed) ed[i] = __builtin_nanf("");
    store_slot(nb + i, -1);
    i++;
  }
}

// FAISS's search_neighbors_to_add: best-first search at one level with a
// result set of efConstruction entries.
void search_neighbors_to_add(Builder& bd, Dis& dis, std::priority_queue<NodeDistCloser>& results, int32_t entry_point,
                             float d_entry_point, int level, VisitedTable& vt, Batch& b) {
  std::priority_queue<NodeDistFarther> candidates;
  candidates.emplace(d_entry_point, entry_point);
  results.emplace(d_entry_point, entry_point);
  vt.set(entry_point);
  const int efc = bd.efc;
  while (!candidates.empty()) {
    const NodeDistFarther& curr = candidates.top();
    if (curr.d > results.top().d) break;
    const int32_t curr_node = curr.id;
    candidates.pop();
    gather_unvisited(bd.v, curr_node, level, vt, dis, b, true, [&vt](int32_t id) { return vt.get(id); });
    for (int t = 0; t < b.n; t++) {
      const float d = b.dis[t];
      const int32_t id = b.ids[t];
      if (static_cast<int>(results.size()) < efc || results.top().d > d) {
        bd.v.prefetch_list(id, level);
        results.emplace(d, id);
        candidates.emplace(d, id);
        if (static_cast<int>(results.size()) > efc) results.pop();
      }
    }
  }
  vt.advance();
}

void add_links_starting_from(Builder& bd, Dis& dis, int32_t pt_id, int32_t nearest, float d_nearest, int level,
                             VisitedTable& vt, Batch& b) {
  std::priority_queue<NodeDistCloser> link_targets;
  search_neighbors_to_add(bd, dis, link_targets, nearest, d_nearest, level, vt, b);
  const int M = bd.v.nb_neighbors(level);
  shrink_neighbor_list(dis, link_targets, M);
  std::vector<std::pair<int32_t, float>> linked;
  linked.reserve(link_targets.size());
  const bool exact = dis.exact_symmetric();
  while (!link_targets.empty()) {
    const int32_t other = link_targets.top().id;
    const float d = exact ? link_targets.top().d : __builtin_nanf("");
    add_link(bd, dis, pt_id, other, level, d);
    linked.emplace_back(other, d);
    link_targets.pop();
  }
  bd.lock_of(pt_id).unlock();
  for (const auto& od : linked) {
    NodeLock l = bd.lock_of(od.first);
    l.lock();
    add_link(bd, dis, od.first, pt_id, level, od.second);
    l.unlock();
  }
  bd.lock_of(pt_id).lock();
}

// FAISS 1.7.3's HNSW::add_with_locks. As there, the lower levels all start
// from the node found by the greedy descent.
void add_with_locks(Builder& bd, Dis& dis, int pt_level, int32_t pt_id, VisitedTable& vt, Batch& b) {
  int32_t nearest;
  int level;
  {
    std::lock_guard<std::mutex> guard(bd.entry);
    nearest = bd.g.entry_point;
    if (nearest == -1) {
      bd.g.max_level = pt_level;
      bd.g.entry_point = pt_id;
    }
    level = bd.g.max_level;
  }
  if (nearest < 0) return;
  bd.lock_of(pt_id).lock();
  float d_nearest = dis(nearest);
  for (; level > pt_level; level--) greedy_update_nearest(bd.v, dis, vt, level, nearest, d_nearest, b);
  for (; level >= 0; level--) add_links_starting_from(bd, dis, pt_id, nearest, d_nearest, level, vt, b);
  bd.lock_of(pt_id).unlock();
  {
    std::lock_guard<std::mutex> guard(bd.entry);
    if (pt_level > bd.g.max_level) {
      bd.g.max_level = pt_level;
      bd.g.entry_point = pt_id;
    }
  }
}

std::vector<float> compute_sdc(const HnswStorage& s) {
  const HnswIsa* isa = hnsw_isa();
  const int64_t m = s.pq_m, dsub = s.d / s.pq_m;
  std::vector<float> sdc(static_cast<size_t>(m) * 256 * 256);
  parallel_for(m, planned_slots(m), [&](int64_t mm, int) {
    const float* c = s.pq_centroids + mm * 256 * dsub;
    for (int64_t i = 0; i < 256; i++)
      for (int64_t j = 0; j < 256; j++) sdc[(mm * 256 + i) * 256 + j] = isa->sym[1][kElemF32](c + i * dsub, c + j * dsub, dsub);
  });
  return sdc;
}

struct SlotState {
  std::unique_ptr<Dis> dis;
  VisitedTable vt;
  std::unique_ptr<Batch> batch{new Batch()};
};

}  // namespace

void hnsw_add(HnswGraph& g, const HnswStorage& s, const HnswAddParams& p) {
  if (p.count == 0) return;
  std::vector<float> sdc;
  if (s.kind == kHnswPQ) sdc = compute_sdc(s);
  const bool cache = g.edge_distances != nullptr && s.kind == kHnswFlat;
  Builder bd(g, p.ef_construction, cache);
  const int threads = planned_slots(1 << 30);
  std::vector<SlotState> slots(threads);
  auto slot_state = [&](int slot) -> SlotState& {
    SlotState& st = slots[slot];
    if (!st.dis) {
      st.dis = make_dis(s, sdc.empty() ? nullptr : sdc.data());
      st.vt.prepare(g.ntotal);
    }
    return st;
  };
  int64_t i0 = 0;
  while (i0 < p.count) {
    const int level = g.levels[p.order[i0]] - 1;
    int64_t i1 = i0 + 1;
    while (i1 < p.count && g.levels[p.order[i1]] - 1 == level) i1++;
    auto insert = [&](int64_t i, int slot) {
      SlotState& st = slot_state(slot);
      const int32_t pt_id = p.order[i];
      st.dis->set_query(row_of(s, p.x, pt_id - p.n0));
      add_with_locks(bd, *st.dis, level, pt_id, st.vt, *st.batch);
    };
    if (i1 - i0 > 100) {
      parallel_for(i1 - i0, threads, [&](int64_t t, int slot) { insert(i0 + t, slot); });
    } else {
      for (int64_t i = i0; i < i1; i++) insert(i, 0);
    }
    i0 = i1;
  }
}

}  // namespace mk
