// N-API bindings of the graph (HNSW) and binary (Hamming) kernels: argument
// and size checks, sync calls, and AsyncWorker + Promise forms whose inputs
// and outputs stay pinned until the worker is done. Registered from addon.cc
// through register_hnsw_hamming_bindings(); helpers in napi-util.h.
#include "hnsw-bindings.h"

#include <cstdint>
#if defined(__linux__)
#include <sys/mman.h>
#endif
#include <memory>
#include <string>

#include "hamming.h"
#include "hnsw.h"
#include "isa/hnsw-isa.h"
#include "napi-util.h"

namespace mk {
namespace {

constexpr int kMaxSlotsPerLevel = 1024;           // neighbours per list (2M at level 0): M <= 512

using napi_util::Args;
using napi_util::kMaxSafe;
using napi_util::out_job;
using napi_util::range_to_js;
using napi_util::void_job;

// ------------------------------------------------------------- Hamming

HammingKnnParams hamming_knn_params(Args& a) {
  HammingKnnParams p{};
  p.nq = a.integer(a.arg(2), "nq", 0);
  p.nb = a.integer(a.arg(3), "nb", 0);
  p.code_size = a.integer(a.arg(4), "codeSize", 1, 1 << 17);
  p.k = a.integer(a.arg(5), "k", 1, 1 << 30);
  p.xq = a.u8(a.arg(0), "xq", a.product(p.nq, p.code_size, "nq * codeSize"));
  p.xb = a.u8(a.arg(1), "xb", a.product(p.nb, p.code_size, "nb * codeSize"));
  const int64_t out = a.product(p.nq, p.k, "nq * k");
  p.distances = a.i32(a.arg(6), "distances", out);
  p.labels = a.i64(a.arg(7), "labels", out);
  p.label_offset = a.arg(8).IsUndefined() || a.arg(8).IsNull() ? 0 : a.integer(a.arg(8), "labelOffset", -kMaxSafe);
  return p;
}

HammingRangeParams hamming_range_params(Args& a) {
  HammingRangeParams p{};
  p.nq = a.integer(a.arg(2), "nq", 0);
  p.nb = a.integer(a.arg(3), "nb", 0);
  p.code_size = a.integer(a.arg(4), "codeSize", 1, 1 << 17);
  p.radius = static_cast<int32_t>(a.integer(a.arg(5), "radius", -2147483647LL, 2147483647LL));
  p.label_offset = a.arg(6).IsUndefined() || a.arg(6).IsNull() ? 0 : a.integer(a.arg(6), "labelOffset", -kMaxSafe);
  p.xq = a.u8(a.arg(0), "xq", a.product(p.nq, p.code_size, "nq * codeSize"));
  p.xb = a.u8(a.arg(1), "xb", a.product(p.nb, p.code_size, "nb * codeSize"));
  return p;
}

struct PairwiseCall {
  const uint8_t* xq;
  const uint8_t* xb;
  int64_t nq, nb, cs;
  int32_t* out;
};

PairwiseCall hamming_pairwise_params(Args& a) {
  PairwiseCall c{};
  c.nq = a.integer(a.arg(2), "nq", 0);
  c.nb = a.integer(a.arg(3), "nb", 0);
  c.cs = a.integer(a.arg(4), "codeSize", 1, 1 << 17);
  c.xq = a.u8(a.arg(0), "xq", a.product(c.nq, c.cs, "nq * codeSize"));
  c.xb = a.u8(a.arg(1), "xb", a.product(c.nb, c.cs, "nb * codeSize"));
  c.out = a.i32(a.arg(5), "out", a.product(c.nq, c.nb, "nq * nb"));
  return c;
}

// ------------------------------------------------------------- HNSW

// Parses and checks the graph object: every size, the level table, and the
// entry point. Neighbour ids and per-node ranges are checked during walks.
HnswGraph parse_graph(Args& a, Napi::Value v) {
  Napi::Object o = a.object(v, "graph");
  HnswGraph g{};
  g.ntotal = a.integer(o.Get("ntotal"), "graph.ntotal", 0, 2147483647LL);
  int64_t ncum = 0;
  g.cum = a.i32(o.Get("cum"), "graph.cum", 2, false, &ncum);
  if (ncum > 64) a.fail("expected at most 64 entries for graph.cum, received " + std::to_string(ncum), true);
  g.ncum = static_cast<int32_t>(ncum);
  if (g.cum[0] != 0) a.fail("expected graph.cum[0] = 0", true);
  for (int64_t l = 0; l + 1 < ncum; l++) {
    const int64_t w = static_cast<int64_t>(g.cum[l + 1]) - g.cum[l];
    if (w < 1 || w > kMaxSlotsPerLevel)
      a.fail("expected 1..1024 neighbour slots per level in graph.cum (M <= 512), received " + std::to_string(w) +
                 " at level " + std::to_string(l),
             true);
  }
  g.levels = a.i32(o.Get("levels"), "graph.levels", g.ntotal, false);
  g.offsets = a.i64(o.Get("offsets"), "graph.offsets", g.ntotal + 1, false);
  int64_t nslots = 0;
  g.neighbors = a.i32(o.Get("neighbors"), "graph.neighbors", 0, false, &nslots);
  if (g.offsets[0] != 0 || g.offsets[g.ntotal] < 0 || g.offsets[g.ntotal] > nslots)
    a.fail("expected graph.offsets[0] = 0 and graph.offsets[ntotal] <= graph.neighbors.length", true);
  Napi::Value ed = o.Get("edgeDistances");
  g.edge_distances = ed.IsUndefined() || ed.IsNull() ? nullptr : a.f32(ed, "graph.edgeDistances", nslots);
  g.entry_point = static_cast<int32_t>(a.integer(o.Get("entryPoint"), "graph.entryPoint", -1, g.ntotal - 1));
  g.max_level = static_cast<int32_t>(a.integer(o.Get("maxLevel"), "graph.maxLevel", -1, ncum - 2));
  if (g.entry_point >= 0) {
    const int32_t l = g.levels[g.entry_point];
    if (g.max_level < 0 || l - 1 < g.max_level)
      a.fail("expected the entry point's level to reach graph.maxLevel", true);
  } else if (g.max_level != -1 && g.ntotal > 0) {
    // FAISS's empty graph: entry -1, max level -1
  }
  return g;
}

int64_t sq_code_size(int qtype, int64_t d) {
  switch (qtype) {
    case kSQ8bit:
    case kSQ8bitUniform:
    case kSQ8bitDirect:
      return d;
    case kSQ4bit:
    case kSQ4bitUniform:
      return (d + 1) / 2;
    case kSQ6bit:
      return (d * 6 + 7) / 8;
    case kSQfp16:
      return 2 * d;
    default:
      return -1;
  }
}

int64_t sq_trained_size(int qtype, int64_t d) {
  switch (qtype) {
    case kSQ8bit:
    case kSQ4bit:
    case kSQ6bit:
      return 2 * d;
    case kSQ8bitUniform:
    case kSQ4bitUniform:
      return 2;
    default:
      return 0;
  }
}

HnswStorage parse_storage(Args& a, Napi::Value v, int64_t ntotal) {
  Napi::Object o = a.object(v, "storage");
  HnswStorage s{};
  s.kind = static_cast<int>(a.integer(o.Get("kind"), "storage.kind", 0, 3));
  s.metric = s.kind == kHnswBinary ? 1 : static_cast<int>(a.integer(o.Get("metric"), "storage.metric", 0, 1));
  s.d = a.integer(o.Get("d"), "storage.d", 1, 1 << 20);
  switch (s.kind) {
    case kHnswFlat: {
      s.code_size = s.d * 4;
      Napi::Value c = o.Get("compact");
      const int64_t need = a.product(ntotal, s.d, "ntotal * d");
      if (!c.IsUndefined() && !c.IsNull()) {
        if (c.IsTypedArray() && c.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
          s.xb_compact = a.u8(c, "storage.compact", need, false);
          s.compact_type = kElemU8;
        } else if (c.IsTypedArray() && c.As<Napi::TypedArray>().TypedArrayType() == napi_int8_array) {
          s.xb_compact = a.counted<int8_t>(c, "storage.compact", napi_int8_array, "Int8Array", need, false);
          s.compact_type = kElemI8;
        } else {
          a.fail("expected a Uint8Array or Int8Array for storage.compact");
        }
        Napi::Value nv = o.Get("compactNorms"), sv = o.Get("compactSums");
        if (!nv.IsUndefined() && !nv.IsNull()) {
          s.compact_norms = a.i32(nv, "storage.compactNorms", ntotal, false);
          s.compact_sums = a.i32(sv, "storage.compactSums", ntotal, false);
        }
        // the kernels read the byte copy; the floats may be omitted
        Napi::Value xv = o.Get("xb");
        if (!xv.IsUndefined() && !xv.IsNull() && xv.IsTypedArray() && xv.As<Napi::TypedArray>().ElementLength() > 0)
          s.xb = a.f32(xv, "storage.xb", need, false);
      } else {
        s.xb = a.f32(o.Get("xb"), "storage.xb", need, false);
      }
      break;
    }
    case kHnswBinary:
      if (s.d % 8 != 0) a.fail("expected d (bits) to be a multiple of 8 for binary storage", true);
      s.code_size = s.d / 8;
      s.codes = a.u8(o.Get("codes"), "storage.codes", a.product(ntotal, s.code_size, "ntotal * codeSize"), false);
      break;
    case kHnswPQ: {
      s.pq_m = a.integer(o.Get("pqM"), "storage.pqM", 1, s.d);
      if (s.d % s.pq_m != 0) a.fail("expected d to be a multiple of storage.pqM", true);
      if (s.metric != 1) a.fail("expected metric 1 (L2) for PQ storage (FAISS's IndexHNSWPQ is L2 only)", true);
      s.code_size = s.pq_m;
      s.codes = a.u8(o.Get("codes"), "storage.codes", a.product(ntotal, s.code_size, "ntotal * codeSize"), false);
      s.pq_centroids = a.f32(o.Get("pqCentroids"), "storage.pqCentroids", s.pq_m * 256 * (s.d / s.pq_m));
      break;
    }
    case kHnswSQ: {
      s.sq_type = static_cast<int>(a.integer(o.Get("sqType"), "storage.sqType", 0, 6));
      s.code_size = sq_code_size(s.sq_type, s.d);
      const int64_t tsize = sq_trained_size(s.sq_type, s.d);
      s.sq_trained_size = tsize;
      if (tsize > 0) {
        s.sq_trained = a.f32(o.Get("sqTrained"), "storage.sqTrained", tsize);
      }
      s.codes = a.u8(o.Get("codes"), "storage.codes", a.product(ntotal, s.code_size, "ntotal * codeSize"), false);
      break;
    }
  }
  return s;
}

// Queries: floats for flat / PQ / SQ, codes for binary.
const void* parse_rows(Args& a, Napi::Value v, const HnswStorage& s, int64_t n, const char* name) {
  if (s.kind == kHnswBinary) return a.u8(v, name, a.product(n, s.code_size, std::string(name) + " rows * codeSize"));
  return a.f32(v, name, a.product(n, s.d, std::string(name) + " rows * d"));
}

HnswSearchParams parse_params(Args& a, Napi::Value v, int64_t ntotal, bool need_k = true) {
  Napi::Object o = a.object(v, "params");
  HnswSearchParams p{};
  p.k = need_k ? a.integer(o.Get("k"), "params.k", 1, 1 << 30) : 0;
  p.ef_search = static_cast<int32_t>(a.integer(o.Get("efSearch"), "params.efSearch", 1, 1 << 30));
  p.bounded_queue = a.boolean(o.Get("boundedQueue"), "params.boundedQueue");
  p.check_relative_distance = a.boolean(o.Get("checkRelativeDistance"), "params.checkRelativeDistance");
  Napi::Value f = o.Get("filter");
  p.filter = f.IsUndefined() || f.IsNull() ? nullptr : a.u8(f, "params.filter", ntotal);
  return p;
}

struct SearchCall {
  HnswGraph g;
  HnswStorage s;
  const void* xq;
  int64_t nq;
  HnswSearchParams p;
  float* distances;
  int64_t* labels;
};

SearchCall search_call(Args& a) {
  SearchCall c{};
  c.g = parse_graph(a, a.arg(0));
  c.s = parse_storage(a, a.arg(1), c.g.ntotal);
  c.nq = a.integer(a.arg(3), "nq", 0);
  c.xq = parse_rows(a, a.arg(2), c.s, c.nq, "xq");
  c.p = parse_params(a, a.arg(4), c.g.ntotal);
  const int64_t out = a.product(c.nq, c.p.k, "nq * k");
  c.distances = a.f32(a.arg(5), "distances", out);
  c.labels = a.i64(a.arg(6), "labels", out);
  return c;
}

struct RangeCall {
  SearchCall c;
  float radius;
};

RangeCall range_call(Args& a) {
  RangeCall r{};
  r.c.g = parse_graph(a, a.arg(0));
  r.c.s = parse_storage(a, a.arg(1), r.c.g.ntotal);
  r.c.nq = a.integer(a.arg(3), "nq", 0);
  r.c.xq = parse_rows(a, a.arg(2), r.c.s, r.c.nq, "xq");
  r.c.p = parse_params(a, a.arg(4), r.c.g.ntotal, false);
  r.radius = static_cast<float>(a.number_not_nan(a.arg(5), "radius"));
  return r;
}

struct AddCall {
  HnswGraph g;
  HnswStorage s;
  HnswAddParams p;
};

AddCall add_call(Args& a) {
  AddCall c{};
  c.g = parse_graph(a, a.arg(0));
  c.s = parse_storage(a, a.arg(1), c.g.ntotal);
  c.p.n0 = a.integer(a.arg(3), "n0", 0, c.g.ntotal);
  c.p.x = parse_rows(a, a.arg(2), c.s, c.g.ntotal - c.p.n0, "x");
  int64_t norder = 0;
  c.p.order = a.i32(a.arg(4), "order", 0, false, &norder);
  c.p.count = norder;
  c.p.ef_construction = static_cast<int32_t>(a.integer(a.arg(5), "efConstruction", 1, 1 << 30));
  int prev = 1 << 30;
  for (int64_t i = 0; i < norder; i++) {
    const int32_t id = c.p.order[i];
    if (id < c.p.n0 || id >= c.g.ntotal)
      a.fail("expected order entries in [n0, ntotal), received " + std::to_string(id) + " at " + std::to_string(i),
             true);
    const int32_t lv = c.g.levels[id];
    if (lv < 1 || lv > c.g.ncum - 1)
      a.fail("expected levels[" + std::to_string(id) + "] in [1, cum.length - 1], received " + std::to_string(lv),
             true);
    if (lv > prev) a.fail("expected order sorted by level, highest first", true);
    prev = lv;
  }
  return c;
}

Napi::Value entry_to_js(Napi::Env env, const HnswGraph& g) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("entryPoint", Napi::Number::New(env, g.entry_point));
  o.Set("maxLevel", Napi::Number::New(env, g.max_level));
  return o;
}

// hnsw_add updates the graph's entry point and top level, returned to JS.
struct AddJob {
  std::shared_ptr<AddCall> c;
  void run() const { hnsw_add(c->g, c->s, c->p); }
  Napi::Value result(Napi::Env env) const { return entry_to_js(env, c->g); }
};

// ------------------------------------------------------------- large buffers

// An ArrayBuffer of `bytes` zeroed bytes in its own 2 MiB-aligned mapping,
// advised for transparent huge pages (Linux): the graph walks read such
// buffers at random, and huge pages spare them most TLB misses. Freed
// (unmapped) when the ArrayBuffer is collected.
Napi::Value AllocLarge(const Napi::CallbackInfo& info) {
  Args a{info, "allocLargeBuffer", {}};
  const int64_t bytes = a.integer(a.arg(0), "bytes", 0, int64_t(1) << 46);
#if defined(__linux__)
  constexpr size_t kHuge = size_t(2) << 20;
  const size_t want = static_cast<size_t>(bytes);
  const size_t map_len = ((want + kHuge - 1) / kHuge) * kHuge + kHuge;
  void* base = mmap(nullptr, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) a.fail("could not map " + std::to_string(bytes) + " bytes", true);
  const uintptr_t b = reinterpret_cast<uintptr_t>(base);
  const uintptr_t aligned = (b + kHuge - 1) & ~(uintptr_t(kHuge) - 1);
  madvise(reinterpret_cast<void*>(aligned), map_len - (aligned - b), MADV_HUGEPAGE);
  struct Mapping {
    void* base;
    size_t len;
  };
  auto* m = new Mapping{base, map_len};
  Napi::MemoryManagement::AdjustExternalMemory(info.Env(), static_cast<int64_t>(map_len));
  return Napi::ArrayBuffer::New(
      info.Env(), reinterpret_cast<void*>(aligned), want,
      [](Napi::Env env, void*, Mapping* mp) {
        munmap(mp->base, mp->len);
        Napi::MemoryManagement::AdjustExternalMemory(env, -static_cast<int64_t>(mp->len));
        delete mp;
      },
      m);
#else
  return Napi::ArrayBuffer::New(info.Env(), static_cast<size_t>(bytes));
#endif
}

}  // namespace

void register_hnsw_hamming_bindings(Napi::Env env, Napi::Object exports) {
  using napi_util::register_pair;
  napi_util::set_function(env, exports, "allocLargeBuffer", AllocLarge);
  register_pair(env, exports, "hammingKnn", "hammingKnnAsync", [](Args& a) {
    const HammingKnnParams p = hamming_knn_params(a);
    return void_job([p] { hamming_knn(p); });
  });
  register_pair(env, exports, "hammingRangeSearch", "hammingRangeSearchAsync", [](Args& a) {
    const HammingRangeParams p = hamming_range_params(a);
    return out_job([p] { return hamming_range(p); },
                   [](Napi::Env e, const HammingRangeResult& r) { return range_to_js(e, r.lims, r.distances, r.labels); });
  });
  register_pair(env, exports, "hammingPairwise", "hammingPairwiseAsync", [](Args& a) {
    const PairwiseCall c = hamming_pairwise_params(a);
    return void_job([c] { hamming_pairwise(c.xq, c.xb, c.nq, c.nb, c.cs, c.out); });
  });
  exports.Set("hammingLevel", Napi::Function::New(
                                  env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                                    return Napi::String::New(info.Env(), hamming_isa()->name);
                                  },
                                  "hammingLevel"));
  register_pair(env, exports, "hnswSearch", "hnswSearchAsync", [](Args& a) {
    const SearchCall c = search_call(a);
    return void_job([c] { hnsw_search(c.g, c.s, c.xq, c.nq, c.p, c.distances, c.labels); });
  });
  register_pair(env, exports, "hnswRangeSearch", "hnswRangeSearchAsync", [](Args& a) {
    const RangeCall r = range_call(a);
    return out_job([r] { return hnsw_range_search(r.c.g, r.c.s, r.c.xq, r.c.nq, r.c.p, r.radius); },
                   [](Napi::Env e, const HnswRangeResult& res) {
                     return range_to_js(e, res.lims, res.distances, res.labels);
                   });
  });
  register_pair(env, exports, "hnswAdd", "hnswAddAsync",
                [](Args& a) { return AddJob{std::make_shared<AddCall>(add_call(a))}; });
}

}  // namespace mk
