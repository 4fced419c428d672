// JS-facing scalar-quantizer kernels: sync functions and Promise twins
// (`...Async`, computed on libuv's pool with their arrays pinned).
#include "sq-bindings.h"

#include <memory>
#include <string>

#include "isa/isa.h"
#include "pq-sq-napi.h"
#include "sq.h"

namespace mk {
namespace {

using napi_util::Args;
using napi_util::NoResult;

// qtype, d, trained at argument positions i, i + 1, i + 2.
sq::Codec codec_at(Args& a, size_t i) {
  sq::Codec c{};
  c.qtype = static_cast<int>(a.integer(i, "qtype", 0, 6));
  c.d = a.integer(i + 1, "d", 1, 1 << 24);
  c.trained = a.f32(i + 2, "trained", sq::trained_size(c.qtype, c.d));
  return c;
}

struct EncodeJob : NoResult {
  sq::Codec c;
  const float* x;
  int64_t n;
  uint8_t* codes;
  void run() const { sq::encode(c, x, n, codes); }
};

// (qtype, d, trained, x, n, codes)
EncodeJob parse_encode(Args& a) {
  EncodeJob j{};
  j.c = codec_at(a, 0);
  j.n = a.integer(4, "n", 0);
  j.x = a.f32(3, "x", a.product(j.n, j.c.d, "n * d"));
  j.codes = a.u8(5, "codes", a.product(j.n, sq::code_size(j.c.qtype, j.c.d), "n * codeSize"));
  return j;
}

struct DecodeJob : NoResult {
  sq::Codec c;
  const uint8_t* codes;
  int64_t n;
  float* out;
  void run() const { sq::decode(c, codes, n, out); }
};

// (qtype, d, trained, codes, n, out)
DecodeJob parse_decode(Args& a) {
  DecodeJob j{};
  j.c = codec_at(a, 0);
  j.n = a.integer(4, "n", 0);
  j.codes = a.u8(3, "codes", a.product(j.n, sq::code_size(j.c.qtype, j.c.d), "n * codeSize"));
  j.out = a.f32(5, "out", a.product(j.n, j.c.d, "n * d"));
  return j;
}

struct SearchJob : NoResult {
  sq::SearchParams p;
  void run() const { sq::search(p); }
};

// (qtype, d, trained, codes, nb, xq, nq, k, metric, distances, labels, mask|null, labelOffset)
SearchJob parse_search(Args& a) {
  SearchJob j{};
  sq::SearchParams& p = j.p;
  p.codec = codec_at(a, 0);
  p.nb = a.integer(4, "nb", 0);
  p.nq = a.integer(6, "nq", 0);
  p.k = a.integer(7, "k", 1);
  p.metric = a.metric(8);
  p.codes = a.u8(3, "codes", a.product(p.nb, sq::code_size(p.codec.qtype, p.codec.d), "nb * codeSize"));
  p.xq = a.f32(5, "xq", a.product(p.nq, p.codec.d, "nq * d"));
  const int64_t out = a.product(p.nq, p.k, "nq * k");
  p.distances = a.f32(9, "distances", out);
  p.labels = a.i64(10, "labels", out);
  p.mask = a.is_nullish(11) ? nullptr : a.u8(11, "mask", p.nb);
  p.label_offset = a.is_nullish(12) ? 0 : a.integer(12, "labelOffset", -napi_util::kMaxSafe);
  return j;
}

// (qtype, d, trained, codes, nb, xq, nq, radius, metric, mask|null, labelOffset)
auto parse_range(Args& a) {
  sq::RangeParams p{};
  p.codec = codec_at(a, 0);
  p.nb = a.integer(4, "nb", 0);
  p.nq = a.integer(6, "nq", 0);
  p.radius = static_cast<float>(a.number_not_nan(7, "radius"));
  p.metric = a.metric(8);
  p.codes = a.u8(3, "codes", a.product(p.nb, sq::code_size(p.codec.qtype, p.codec.d), "nb * codeSize"));
  p.xq = a.f32(5, "xq", a.product(p.nq, p.codec.d, "nq * d"));
  p.mask = a.is_nullish(9) ? nullptr : a.u8(9, "mask", p.nb);
  p.label_offset = a.is_nullish(10) ? 0 : a.integer(10, "labelOffset", -napi_util::kMaxSafe);
  return napi_util::range_job([p] { return sq::range_search(p); });
}

// IVF: the list views must outlive the call (async), so jobs own them.
using IvfJob = napi_util::IvfJob<sq::IvfSearchParams, sq::ivf_search, sq::ivf_range_search>;

// (qtype, d, trained, metric, byResidual, codes[], ids[], sizes, masks[]|null, centroids|null,
//  xq, nq, nprobe, coarse, coarseDis, then k, distances, labels | radius)
IvfJob parse_ivf(Args& a, bool range) {
  IvfJob j{};
  sq::IvfSearchParams& p = j.p;
  p.codec = codec_at(a, 0);
  p.metric = a.metric(3);
  p.by_residual = a.boolean(4, "byResidual");
  p.nq = a.integer(11, "nq", 0);
  p.nprobe = a.integer(12, "nprobe", 1);
  const int64_t na = a.product(p.nq, p.nprobe, "nq * nprobe");
  p.xq = a.f32(10, "xq", a.product(p.nq, p.codec.d, "nq * d"));
  p.assign = a.i64(13, "coarse", na);
  p.coarse_dis = a.f32(14, "coarseDis", na);
  j.views = napi_util::ivf_lists(a, 5, 6, 7, 8, p.assign, na, sq::code_size(p.codec.qtype, p.codec.d), p.lists);
  if (p.by_residual && p.metric == kMetricL2)
    p.centroids = a.f32(9, "centroids", a.product(p.lists.nlist, p.codec.d, "nlist * d"));
  napi_util::ivf_result_args(a, j, 15, range);
  return j;
}

Napi::Value CodeSize(const Napi::CallbackInfo& info) {
  Args a{info, "sqCodeSize", {}};
  const int qtype = static_cast<int>(a.integer(0, "qtype", 0, 6));
  const int64_t d = a.integer(1, "d", 1, 1 << 24);
  return Napi::Number::New(info.Env(), static_cast<double>(sq::code_size(qtype, d)));
}

}  // namespace

void register_sq_bindings(Napi::Env env, Napi::Object exports) {
  using napi_util::register_pair;
  exports.Set("sqCodeSize", Napi::Function::New(env, CodeSize, "sqCodeSize"));
  register_pair(env, exports, "sqEncode", "sqEncodeAsync", parse_encode);
  register_pair(env, exports, "sqDecode", "sqDecodeAsync", parse_decode);
  register_pair(env, exports, "sqSearch", "sqSearchAsync", parse_search);
  register_pair(env, exports, "sqRangeSearch", "sqRangeSearchAsync", parse_range);
  register_pair(env, exports, "sqIvfSearch", "sqIvfSearchAsync", [](Args& a) { return parse_ivf(a, false); });
  register_pair(env, exports, "sqIvfRangeSearch", "sqIvfRangeSearchAsync", [](Args& a) { return parse_ivf(a, true); });
}

}  // namespace mk
