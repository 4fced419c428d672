#include "bindings.h"

#include <exception>
#include <string>
#include <vector>

#include "cpu-dispatch.h"
#include "kernels.h"
#include "napi-util.h"
#include "thread-pool.h"

#ifndef MK_VERSION
#define MK_VERSION "0.0.0"
#endif

namespace mk {
namespace {

using napi_util::Args;
using napi_util::kMaxSafe;
using napi_util::range_job;
using napi_util::set_function;
using napi_util::void_job;

// ------------------------------------------------------------- kernels

struct NormsParams {
  const float* x;
  int64_t n, d;
  float* out;
};

NormsParams norms_params(Args& a) {
  NormsParams p{};
  p.n = a.integer(1, "n", 0);
  p.d = a.integer(2, "d", 1);
  p.x = a.f32(0, "x", a.product(p.n, p.d, "n * d"));
  p.out = a.f32(3, "out", p.n);
  return p;
}

PairwiseParams pairwise_params(Args& a) {
  PairwiseParams p{};
  p.nq = a.integer(2, "nq", 0);
  p.nb = a.integer(3, "nb", 0);
  p.d = a.integer(4, "d", 1);
  p.metric = a.metric(5);
  p.xq = a.f32(0, "xq", a.product(p.nq, p.d, "nq * d"));
  p.xb = a.f32(1, "xb", a.product(p.nb, p.d, "nb * d"));
  p.out = a.f32(6, "out", a.product(p.nq, p.nb, "nq * nb"));
  return p;
}

KnnParams knn_params(Args& a) {
  KnnParams p{};
  p.nq = a.integer(2, "nq", 0);
  p.nb = a.integer(3, "nb", 0);
  p.d = a.integer(4, "d", 1);
  p.k = a.integer(5, "k", 1);
  p.metric = a.metric(6);
  p.xq = a.f32(0, "xq", a.product(p.nq, p.d, "nq * d"));
  p.xb = a.f32(1, "xb", a.product(p.nb, p.d, "nb * d"));
  const int64_t out = a.product(p.nq, p.k, "nq * k");
  p.distances = a.f32(7, "distances", out);
  p.labels = a.i64(8, "labels", out);
  p.xb_norms = a.is_nullish(9) ? nullptr : a.f32(9, "xbNorms", p.nb);
  p.label_offset = a.is_nullish(10) ? 0 : a.integer(10, "labelOffset", -kMaxSafe);
  return p;
}

RangeParams range_params(Args& a) {
  RangeParams p{};
  p.nq = a.integer(2, "nq", 0);
  p.nb = a.integer(3, "nb", 0);
  p.d = a.integer(4, "d", 1);
  p.radius = static_cast<float>(a.number_not_nan(5, "radius"));
  p.metric = a.metric(6);
  p.label_offset = a.is_nullish(7) ? 0 : a.integer(7, "labelOffset", -kMaxSafe);
  p.xq = a.f32(0, "xq", a.product(p.nq, p.d, "nq * d"));
  p.xb = a.f32(1, "xb", a.product(p.nb, p.d, "nb * d"));
  return p;
}

TopkParams topk_params(Args& a) {
  TopkParams p{};
  p.n = a.integer(1, "n", 0);
  p.m = a.integer(2, "m", 0);
  p.k = a.integer(3, "k", 1);
  p.largest = a.boolean(4, "largest");
  p.values = a.f32(0, "values", a.product(p.n, p.m, "n * m"));
  const int64_t out = a.product(p.n, p.k, "n * k");
  p.out_values = a.f32(5, "outValues", out);
  p.out_indices = a.i64(6, "outIndices", out);
  return p;
}

// ------------------------------------------------------------- configuration

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("simd", current_isa()->name);
  o.Set("threads", get_num_threads());
  std::vector<std::string> levels = supported_levels();
  Napi::Array arr = Napi::Array::New(env, levels.size());
  for (size_t i = 0; i < levels.size(); i++) arr.Set(static_cast<uint32_t>(i), levels[i]);
  o.Set("simdLevels", arr);
  o.Set("streamMaxQueries", static_cast<double>(stream_max_queries()));
  return o;
}

Napi::Value SetSimd(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(info.Env(), "setSimd: expected a string");
  try {
    select_level(info[0].As<Napi::String>().Utf8Value());
  } catch (const std::exception& e) {
    throw Napi::RangeError::New(info.Env(), e.what());
  }
  return Napi::String::New(info.Env(), current_isa()->name);
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  Args a{info, "setNumThreads", {}};
  set_num_threads(static_cast<int>(a.integer(0, "n", 1, 256)));
  return info.Env().Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), get_num_threads()); }

}  // namespace

void register_bindings(Napi::Env env, Napi::Object exports) {
  using napi_util::register_pair;
  exports.Set("version", Napi::String::New(env, MK_VERSION));
  set_function(env, exports, "info", Info);
  set_function(env, exports, "setSimd", SetSimd);
  set_function(env, exports, "setNumThreads", SetNumThreads);
  set_function(env, exports, "getNumThreads", GetNumThreads);
  register_pair(env, exports, "normsL2Sqr", "normsL2SqrAsync", [](Args& a) {
    const NormsParams p = norms_params(a);
    return void_job([p] { norms_l2sqr(p.x, p.n, p.d, p.out); });
  });
  register_pair(env, exports, "pairwise", "pairwiseAsync", [](Args& a) {
    const PairwiseParams p = pairwise_params(a);
    return void_job([p] { pairwise(p); });
  });
  register_pair(env, exports, "knn", "knnAsync", [](Args& a) {
    const KnnParams p = knn_params(a);
    return void_job([p] { knn(p); });
  });
  register_pair(env, exports, "rangeSearch", "rangeSearchAsync", [](Args& a) {
    const RangeParams p = range_params(a);
    return range_job([p] { return range_search(p); });
  });
  register_pair(env, exports, "topk", "topkAsync", [](Args& a) {
    const TopkParams p = topk_params(a);
    return void_job([p] { topk(p); });
  });
}

}  // namespace mk
