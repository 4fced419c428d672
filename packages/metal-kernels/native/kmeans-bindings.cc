// N-API bindings of the grouped and bounded k-means assignment kernels
// (kmeans.h, kmeans-bounded.cc): sync calls and Promise twins (inputs and
// outputs pinned until the promise settles). The TypeScript layer
// (src/kmeans-bounded.ts) validates first; these checks keep native code safe
// from a caller that bypasses it. Registered from addon.cc.
#include <napi.h>

#include <memory>

#include "kmeans.h"
#include "napi-util.h"

namespace mk {
namespace {

using napi_util::Args;

// (x, n, d, centroids, k, groups, t, g, xNorms|null, mask|null, best, labels, second)
struct GroupsJob : napi_util::NoResult {
  KmeansGroupsParams p{};
  void run() const { kmeans_assign_groups(p); }
};

GroupsJob parse_groups(Args& a) {
  GroupsJob j;
  KmeansGroupsParams& p = j.p;
  p.n = a.integer(1, "n", 0);
  p.d = a.integer(2, "d", 1, 1 << 24);
  p.k = a.integer(4, "k", 1, (int64_t(1) << 31) - 1);
  p.t = a.integer(6, "t", 1, (int64_t(1) << 31) - 1);
  p.g = a.integer(7, "g", 1, (int64_t(1) << 31) - 1);
  p.x = a.f32(0, "x", a.product(p.n, p.d, "n * d"));
  p.c = a.f32(3, "centroids", a.product(p.k, p.d, "k * d"));
  p.groups = a.i32(5, "groups", a.product(p.t, p.g, "t * g"));
  const int64_t nt = a.product(p.n, p.t, "n * t");
  p.xnorms = a.is_nullish(8) ? nullptr : a.f32(8, "xNorms", p.n);
  p.mask = a.is_nullish(9) ? nullptr : a.u8(9, "mask", nt);
  p.best = a.f32(10, "best", nt);
  p.labels = a.i64(11, "labels", nt);
  p.second = a.f32(12, "second", nt);
  return j;
}

// (x, n, d, xNorms|null, centroids, k, groups, t, g, drift|null, labels, lower, distances) -> { pruned, evaluated }
struct BoundedJob {
  KmeansBoundedParams p{};
  std::shared_ptr<KmeansBoundedStats> stats = std::make_shared<KmeansBoundedStats>();
  void run() const { *stats = kmeans_assign_bounded(p); }
  Napi::Value result(Napi::Env env) const {
    Napi::Object o = Napi::Object::New(env);
    o.Set("pruned", Napi::Number::New(env, static_cast<double>(stats->pruned)));
    o.Set("evaluated", Napi::Number::New(env, static_cast<double>(stats->evaluated)));
    return o;
  }
};

BoundedJob parse_bounded(Args& a) {
  BoundedJob j;
  KmeansBoundedParams& p = j.p;
  p.n = a.integer(1, "n", 0);
  p.d = a.integer(2, "d", 1, 1 << 24);
  p.k = a.integer(5, "k", 1, (int64_t(1) << 31) - 1);
  p.t = a.integer(7, "t", 1, (int64_t(1) << 31) - 1);
  p.g = a.integer(8, "g", 1, (int64_t(1) << 31) - 1);
  p.x = a.f32(0, "x", a.product(p.n, p.d, "n * d"));
  p.xnorms = a.is_nullish(3) ? nullptr : a.f32(3, "xNorms", p.n);
  p.c = a.f32(4, "centroids", a.product(p.k, p.d, "k * d"));
  p.groups = a.i32(6, "groups", a.product(p.t, p.g, "t * g"));
  p.drift = a.is_nullish(9) ? nullptr : a.f64(9, "drift", p.t);
  p.labels = a.i64(10, "labels", p.n);
  p.lower = a.f32(11, "lower", a.product(p.n, p.t, "n * t"));
  p.distances = a.f32(12, "distances", p.n);
  return j;
}

}  // namespace

void register_kmeans_bindings(Napi::Env env, Napi::Object exports) {
  using napi_util::register_pair;
  register_pair(env, exports, "kmeansAssignGroups", "kmeansAssignGroupsAsync", parse_groups);
  register_pair(env, exports, "kmeansAssignBounded", "kmeansAssignBoundedAsync", parse_bounded);
}

}  // namespace mk
