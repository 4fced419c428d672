// JS-facing product-quantizer kernels: sync functions and Promise twins
// (`...Async`, computed on libuv's pool with their arrays pinned).
#include "pq-bindings.h"

#include <memory>
#include <string>

#include "isa/isa.h"
#include "pq-sq-napi.h"
#include "pq.h"

namespace mk {
namespace {

using napi_util::Args;
using napi_util::NoResult;

// d, M, nbits, centroids, centroidsT|null at positions i .. i + 4.
pq::Codec codec_at(Args& a, size_t i) {
  pq::Codec c{};
  c.d = a.integer(i, "d", 1, 1 << 24);
  c.M = a.integer(i + 1, "M", 1, c.d);
  if (c.d % c.M != 0) a.fail("expected M to divide d", true);
  c.nbits = a.integer(i + 2, "nbits", 1, 16);
  const int64_t size = a.product(c.d, int64_t(1) << c.nbits, "d * ksub");
  c.centroids = a.f32(i + 3, "centroids", size);
  c.centroids_t = a.is_nullish(i + 4) ? nullptr : a.f32(i + 4, "centroidsT", size);
  return c;
}

struct CodesJob : NoResult {
  pq::Codec c;
  const float* x;
  int64_t n;
  uint8_t* codes;
  void run() const { pq::compute_codes(c, x, n, codes); }
};

// (d, M, nbits, centroids, centroidsT, x, n, codes)
CodesJob parse_codes(Args& a) {
  CodesJob j{};
  j.c = codec_at(a, 0);
  j.n = a.integer(6, "n", 0);
  j.x = a.f32(5, "x", a.product(j.n, j.c.d, "n * d"));
  j.codes = a.u8(7, "codes", a.product(j.n, pq::code_size(j.c.M, j.c.nbits), "n * codeSize"));
  return j;
}

struct DecodeJob : NoResult {
  pq::Codec c;
  const uint8_t* codes;
  int64_t n;
  float* out;
  void run() const { pq::decode(c, codes, n, out); }
};

// (d, M, nbits, centroids, centroidsT, codes, n, out)
DecodeJob parse_decode(Args& a) {
  DecodeJob j{};
  j.c = codec_at(a, 0);
  j.n = a.integer(6, "n", 0);
  j.codes = a.u8(5, "codes", a.product(j.n, pq::code_size(j.c.M, j.c.nbits), "n * codeSize"));
  j.out = a.f32(7, "out", a.product(j.n, j.c.d, "n * d"));
  return j;
}

struct TablesJob : NoResult {
  pq::Codec c;
  const float* x;
  int64_t n;
  bool l2;
  float* out;
  void run() const { pq::tables(c, x, n, l2, out); }
};

// (d, M, nbits, centroids, centroidsT, x, n, metric, out)
TablesJob parse_tables(Args& a) {
  TablesJob j{};
  j.c = codec_at(a, 0);
  j.n = a.integer(6, "n", 0);
  j.x = a.f32(5, "x", a.product(j.n, j.c.d, "n * d"));
  j.l2 = a.metric(7) == kMetricL2;
  j.out = a.f32(8, "out", a.product(a.product(j.n, j.c.M, "n * M"), int64_t(1) << j.c.nbits, "n * M * ksub"));
  return j;
}

struct PrecomputeJob : NoResult {
  pq::Codec c;
  const float* coarse;
  int64_t nlist;
  float* out;
  void run() const { pq::precompute_table(c, coarse, nlist, out); }
};

// (d, M, nbits, centroids, centroidsT, coarse, nlist, out)
PrecomputeJob parse_precompute(Args& a) {
  PrecomputeJob j{};
  j.c = codec_at(a, 0);
  j.nlist = a.integer(6, "nlist", 0);
  j.coarse = a.f32(5, "coarse", a.product(j.nlist, j.c.d, "nlist * d"));
  j.out = a.f32(7, "out", a.product(a.product(j.nlist, j.c.M, "nlist * M"), int64_t(1) << j.c.nbits, "nlist * M * ksub"));
  return j;
}

struct AssignJob : NoResult {
  const float* x;
  int64_t n, d, k;
  const float* centroids;
  int64_t* labels;
  float* dist;
  void run() const { pq::assign(x, n, d, centroids, k, labels, dist); }
};

// (x, n, d, centroids, k, labels, distances)
AssignJob parse_assign(Args& a) {
  AssignJob j{};
  j.n = a.integer(1, "n", 0);
  j.d = a.integer(2, "d", 1, 1 << 24);
  j.k = a.integer(4, "k", 1, 1 << 24);
  j.x = a.f32(0, "x", a.product(j.n, j.d, "n * d"));
  j.centroids = a.f32(3, "centroids", a.product(j.k, j.d, "k * d"));
  j.labels = a.i64(5, "labels", j.n);
  j.dist = a.f32(6, "distances", j.n);
  return j;
}

struct SearchJob : NoResult {
  pq::SearchParams p;
  void run() const { pq::search(p); }
};

// (d, M, nbits, centroids, centroidsT, codes, nb, xq, nq, k, metric, distances, labels, mask|null, labelOffset)
SearchJob parse_search(Args& a) {
  SearchJob j{};
  pq::SearchParams& p = j.p;
  p.codec = codec_at(a, 0);
  p.nb = a.integer(6, "nb", 0);
  p.nq = a.integer(8, "nq", 0);
  p.k = a.integer(9, "k", 1);
  p.metric = a.metric(10);
  p.codes = a.u8(5, "codes", a.product(p.nb, pq::code_size(p.codec.M, p.codec.nbits), "nb * codeSize"));
  p.xq = a.f32(7, "xq", a.product(p.nq, p.codec.d, "nq * d"));
  const int64_t out = a.product(p.nq, p.k, "nq * k");
  p.distances = a.f32(11, "distances", out);
  p.labels = a.i64(12, "labels", out);
  p.mask = a.is_nullish(13) ? nullptr : a.u8(13, "mask", p.nb);
  p.label_offset = a.is_nullish(14) ? 0 : a.integer(14, "labelOffset", -napi_util::kMaxSafe);
  return j;
}

// (d, M, nbits, centroids, centroidsT, codes, nb, xq, nq, radius, metric, mask|null, labelOffset)
auto parse_range(Args& a) {
  pq::RangeParams p{};
  p.codec = codec_at(a, 0);
  p.nb = a.integer(6, "nb", 0);
  p.nq = a.integer(8, "nq", 0);
  p.radius = static_cast<float>(a.number_not_nan(9, "radius"));
  p.metric = a.metric(10);
  p.codes = a.u8(5, "codes", a.product(p.nb, pq::code_size(p.codec.M, p.codec.nbits), "nb * codeSize"));
  p.xq = a.f32(7, "xq", a.product(p.nq, p.codec.d, "nq * d"));
  p.mask = a.is_nullish(11) ? nullptr : a.u8(11, "mask", p.nb);
  p.label_offset = a.is_nullish(12) ? 0 : a.integer(12, "labelOffset", -napi_util::kMaxSafe);
  return napi_util::range_job([p] { return pq::range_search(p); });
}

using IvfJob = napi_util::IvfJob<pq::IvfSearchParams, pq::ivf_search, pq::ivf_range_search>;

// (d, M, nbits, centroids, centroidsT, metric, byResidual, precomputed|null, coarseCentroids|null,
//  codes[], ids[], sizes, masks[]|null, xq, nq, nprobe, coarse, coarseDis, then k, distances, labels | radius)
IvfJob parse_ivf(Args& a, bool range) {
  IvfJob j{};
  pq::IvfSearchParams& p = j.p;
  p.codec = codec_at(a, 0);
  p.metric = a.metric(5);
  p.by_residual = a.boolean(6, "byResidual");
  p.nq = a.integer(14, "nq", 0);
  p.nprobe = a.integer(15, "nprobe", 1);
  const int64_t na = a.product(p.nq, p.nprobe, "nq * nprobe");
  p.xq = a.f32(13, "xq", a.product(p.nq, p.codec.d, "nq * d"));
  p.assign = a.i64(16, "coarse", na);
  p.coarse_dis = a.f32(17, "coarseDis", na);
  j.views = napi_util::ivf_lists(a, 9, 10, 11, 12, p.assign, na, pq::code_size(p.codec.M, p.codec.nbits), p.lists);
  const int64_t tab = a.product(p.codec.M, int64_t(1) << p.codec.nbits, "M * ksub");
  const bool l2 = p.metric == kMetricL2;
  if (l2 && p.by_residual && !a.is_nullish(7))
    p.precomputed = a.f32(7, "precomputed", a.product(p.lists.nlist, tab, "nlist * M * ksub"));
  if (p.by_residual && !(l2 && p.precomputed))
    p.coarse = a.f32(8, "coarseCentroids", a.product(p.lists.nlist, p.codec.d, "nlist * d"));
  napi_util::ivf_result_args(a, j, 18, range);
  return j;
}

}  // namespace

void register_pq_bindings(Napi::Env env, Napi::Object exports) {
  using napi_util::register_pair;
  register_pair(env, exports, "pqComputeCodes", "pqComputeCodesAsync", parse_codes);
  register_pair(env, exports, "pqDecode", "pqDecodeAsync", parse_decode);
  register_pair(env, exports, "pqTables", "pqTablesAsync", parse_tables);
  register_pair(env, exports, "pqPrecomputeTable", "pqPrecomputeTableAsync", parse_precompute);
  register_pair(env, exports, "pqAssign", "pqAssignAsync", parse_assign);
  register_pair(env, exports, "pqSearch", "pqSearchAsync", parse_search);
  register_pair(env, exports, "pqRangeSearch", "pqRangeSearchAsync", parse_range);
  register_pair(env, exports, "pqIvfSearch", "pqIvfSearchAsync", [](Args& a) { return parse_ivf(a, false); });
  register_pair(env, exports, "pqIvfRangeSearch", "pqIvfRangeSearchAsync", [](Args& a) { return parse_ivf(a, true); });
}

}  // namespace mk
