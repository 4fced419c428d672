// N-API bindings of the k-means and IVF kernels (kmeans.h, ivf.h): argument
// and byte-length checks, sync calls, and Napi::AsyncWorker + Promise forms
// (inputs and outputs pinned until the promise settles; Execute touches no
// JS). Helpers in napi-util.h; registered from addon.cc.
#include "ivf-bindings.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ivf.h"
#include "kmeans.h"
#include "napi-util.h"

namespace mk {
namespace {

using napi_util::Args;
using napi_util::range_job;
using napi_util::void_job;

// ------------------------------------------------------------- kmeansUpdate

// (x, n, d, k, assign, weights|null, centroids, counts)
KmeansUpdateParams kmeans_params(Args& a) {
  KmeansUpdateParams p{};
  p.n = a.integer(1, "n", 0);
  p.d = a.integer(2, "d", 1);
  p.k = a.integer(3, "k", 1, 2147483647);
  p.x = a.f32(0, "x", a.product(p.n, p.d, "n * d"));
  p.assign = a.i64(4, "assign", p.n);
  p.weights = a.is_nullish(5) ? nullptr : a.f32(5, "weights", p.n);
  p.centroids = a.f32(6, "centroids", a.product(p.k, p.d, "k * d"));
  p.counts = a.f32(7, "counts", p.k);
  return p;
}

// ------------------------------------------------------------- kmeansAssign

// (x, n, d, c, k, metric, xnorms|null, ids|null, distances, labels)
KmeansAssignParams assign_params(Args& a) {
  KmeansAssignParams p{};
  p.n = a.integer(1, "n", 0);
  p.d = a.integer(2, "d", 1, 1 << 24);
  p.k = a.integer(4, "k", 1, (int64_t(1) << 24) - 1);  // packed indices travel as float
  p.metric = a.metric(5);
  p.x = a.f32(0, "x", a.product(p.n, p.d, "n * d"));
  p.c = a.f32(3, "centroids", a.product(p.k, p.d, "k * d"));
  p.xnorms = a.is_nullish(6) ? nullptr : a.f32(6, "xNorms", p.n);
  p.ids = a.is_nullish(7) ? nullptr : a.i64(7, "ids", p.k);
  p.distances = a.f32(8, "distances", p.n);
  p.labels = a.i64(9, "labels", p.n);
  return p;
}

// ------------------------------------------------------------- IVF-Flat scans

// Owns the per-list pointer tables the kernel reads.
struct IvfCall {
  IvfScanParams p{};
  std::vector<const float*> codes;
  std::vector<const int64_t*> ids;
};

// Common arguments: (xq, nq, d, k|radius, metric, coarse, nprobe, codes[], ids[], sizes, storePairs, ...)
std::shared_ptr<IvfCall> ivf_params(Args& a, bool topk) {
  auto call = std::make_shared<IvfCall>();
  IvfScanParams& p = call->p;
  p.nq = a.integer(1, "nq", 0);
  p.d = a.integer(2, "d", 1, 1 << 24);
  if (topk) {
    p.k = a.integer(3, "k", 1, 2147483647);
  } else {
    p.radius = static_cast<float>(a.number_not_nan(3, "radius"));
  }
  p.metric = a.metric(4);
  p.nprobe = a.integer(6, "nprobe", 1, 2147483647);
  p.xq = a.f32(0, "xq", a.product(p.nq, p.d, "nq * d"));
  p.coarse = a.i64(5, "coarse", a.product(p.nq, p.nprobe, "nq * nprobe"));
  int64_t nlist = 0;
  p.sizes = a.array<int32_t>(9, "sizes", napi_int32_array, "Int32Array", -1, &nlist);
  p.nlist = nlist;
  p.store_pairs = a.boolean(10, "storePairs");
  if (nlist > 2147483647) a.fail("expected at most 2^31 - 1 lists", true);

  if (7 >= a.info.Length() || !a.info[7].IsArray()) a.fail("expected an array of Uint8Array for codes");
  if (8 >= a.info.Length() || !a.info[8].IsArray()) a.fail("expected an array of BigInt64Array for ids");
  Napi::Array codes = a.info[7].As<Napi::Array>();
  Napi::Array ids = a.info[8].As<Napi::Array>();
  if (static_cast<int64_t>(codes.Length()) != nlist || static_cast<int64_t>(ids.Length()) != nlist)
    a.fail("expected codes and ids arrays with one entry per list (" + std::to_string(nlist) + ")", true);
  a.keep.push_back(a.info[7]);
  a.keep.push_back(a.info[8]);

  // Read only the lists the coarse assignment names.
  call->codes.assign(nlist, nullptr);
  call->ids.assign(nlist, nullptr);
  std::vector<uint8_t> seen(nlist, 0);
  const int64_t pairs = p.nq * p.nprobe;
  for (int64_t i = 0; i < pairs; i++) {
    const int64_t key = p.coarse[i];
    if (key < -1 || key >= nlist)
      a.fail("expected list numbers in [-1, " + std::to_string(nlist) + ") in coarse, received " + std::to_string(key), true);
    if (key < 0 || seen[key]) continue;
    seen[key] = 1;
    const int64_t size = p.sizes[key];
    if (size < 0) a.fail("expected sizes >= 0, received " + std::to_string(size) + " for list " + std::to_string(key), true);
    if (size == 0) continue;
    const std::string cname = "codes[" + std::to_string(key) + "]";
    int64_t clen = 0;
    uint8_t* c = a.view<uint8_t>(codes.Get(static_cast<uint32_t>(key)), cname, napi_uint8_array, "Uint8Array", -1, false, &clen);
    if (clen < size * p.d * 4) a.fail("expected at least " + std::to_string(size * p.d * 4) + " bytes for " + cname, true);
    if (reinterpret_cast<uintptr_t>(c) % 4 != 0) a.fail("expected a 4-byte aligned Uint8Array for " + cname, true);
    const std::string iname = "ids[" + std::to_string(key) + "]";
    int64_t ilen = 0;
    int64_t* idp = a.view<int64_t>(ids.Get(static_cast<uint32_t>(key)), iname, napi_bigint64_array, "BigInt64Array", -1, false,
                                 &ilen);
    if (ilen < size) a.fail("expected at least " + std::to_string(size) + " entries for " + iname, true);
    call->codes[key] = reinterpret_cast<const float*>(c);
    call->ids[key] = idp;
  }
  p.codes = call->codes.data();
  p.ids = call->ids.data();
  if (topk) {
    const int64_t out = a.product(p.nq, p.k, "nq * k");
    p.distances = a.f32(11, "distances", out);
    p.labels = a.i64(12, "labels", out);
  }
  return call;
}

}  // namespace

void register_ivf_bindings(Napi::Env env, Napi::Object exports) {
  using napi_util::register_pair;
  register_pair(env, exports, "kmeansUpdate", "kmeansUpdateAsync", [](Args& a) {
    const KmeansUpdateParams p = kmeans_params(a);
    return void_job([p] { kmeans_update(p); });
  });
  register_pair(env, exports, "kmeansAssign", "kmeansAssignAsync", [](Args& a) {
    const KmeansAssignParams p = assign_params(a);
    return void_job([p] { kmeans_assign(p); });
  });
  register_pair(env, exports, "ivfSearchFlat", "ivfSearchFlatAsync", [](Args& a) {
    auto call = ivf_params(a, true);
    return void_job([call] { ivf_search_flat(call->p); });
  });
  register_pair(env, exports, "ivfRangeSearchFlat", "ivfRangeSearchFlatAsync", [](Args& a) {
    auto call = ivf_params(a, false);
    return range_job([call] { return ivf_range_search_flat(call->p); });
  });
}

}  // namespace mk
