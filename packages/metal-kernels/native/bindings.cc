#include "bindings.h"

#include <cstring>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cpu-dispatch.h"
#include "kernels.h"
#include "thread-pool.h"

#ifndef MK_VERSION
#define MK_VERSION "0.0.0"
#endif

namespace mk {
namespace {

constexpr int64_t kMaxSafe = 9007199254740991LL;  // 2^53 - 1

// ------------------------------------------------------------- argument checks

struct Args {
  const Napi::CallbackInfo& info;
  const char* fn;
  std::vector<Napi::Value> keep;  // typed arrays to pin for async calls

  [[noreturn]] void fail(const std::string& msg, bool range = false) const {
    std::string m = std::string(fn) + ": " + msg;
    if (range) throw Napi::RangeError::New(info.Env(), m);
    throw Napi::TypeError::New(info.Env(), m);
  }

  int64_t integer(size_t i, const char* name, int64_t min, int64_t max = kMaxSafe) const {
    if (i >= info.Length() || !info[i].IsNumber()) fail(std::string("expected a number for ") + name);
    const double v = info[i].As<Napi::Number>().DoubleValue();
    if (!(v >= static_cast<double>(min) && v <= static_cast<double>(max)) || v != static_cast<double>(static_cast<int64_t>(v)))
      fail(std::string("expected an integer in [") + std::to_string(min) + ", " + std::to_string(max) + "] for " +
               name,
           true);
    return static_cast<int64_t>(v);
  }

  double number(size_t i, const char* name) const {
    if (i >= info.Length() || !info[i].IsNumber()) fail(std::string("expected a number for ") + name);
    return info[i].As<Napi::Number>().DoubleValue();
  }

  bool boolean(size_t i, const char* name) const {
    if (i >= info.Length() || !info[i].IsBoolean()) fail(std::string("expected a boolean for ") + name);
    return info[i].As<Napi::Boolean>().Value();
  }

  template <typename T>
  T* array(size_t i, const char* name, napi_typedarray_type type, const char* type_name, int64_t elements) {
    if (i >= info.Length() || !info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != type)
      fail(std::string("expected a ") + type_name + " for " + name);
    auto arr = info[i].As<Napi::TypedArray>();
    const size_t want = static_cast<size_t>(elements) * sizeof(T);
    if (arr.ByteLength() != want)
      fail(std::string("expected ") + std::to_string(want) + " bytes (" + std::to_string(elements) + " elements) for " +
               name + ", received " + std::to_string(arr.ByteLength()),
           true);
    keep.push_back(info[i]);
    if (want == 0) return nullptr;
    // The view's own data pointer (works for ArrayBuffer and SharedArrayBuffer backing).
    T* data = info[i].As<Napi::TypedArrayOf<T>>().Data();
    if (!data) fail(std::string("the buffer of ") + name + " is detached");
    return data;
  }

  float* f32(size_t i, const char* name, int64_t elements) {
    return array<float>(i, name, napi_float32_array, "Float32Array", elements);
  }
  int64_t* i64(size_t i, const char* name, int64_t elements) {
    return array<int64_t>(i, name, napi_bigint64_array, "BigInt64Array", elements);
  }
  bool is_nullish(size_t i) const { return i >= info.Length() || info[i].IsNull() || info[i].IsUndefined(); }

  int64_t product(int64_t a, int64_t b, const char* what) const {
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r) || r > kMaxSafe) fail(std::string(what) + " overflows", true);
    return r;
  }
};

int metric_of(Args& a, size_t i) { return static_cast<int>(a.integer(i, "metric", 0, 1)); }

// ------------------------------------------------------------- async plumbing

using ResultFn = std::function<Napi::Value(Napi::Env)>;

class KernelWorker : public Napi::AsyncWorker {
 public:
  KernelWorker(Napi::Env env, const char* name, std::function<void()> run, ResultFn result,
               const std::vector<Napi::Value>& keep)
      : Napi::AsyncWorker(env, name),
        deferred_(Napi::Promise::Deferred::New(env)),
        run_(std::move(run)),
        result_(std::move(result)) {
    for (const Napi::Value& v : keep) refs_.push_back(Napi::Persistent(v.As<Napi::Object>()));
  }

  Napi::Promise promise() const { return deferred_.Promise(); }

  void Execute() override {  // libuv worker thread: no JS here
    try {
      run_();
    } catch (const std::exception& e) {
      SetError(e.what());
    } catch (...) {
      SetError("unknown native error");
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    try {
      deferred_.Resolve(result_ ? result_(env) : env.Undefined());
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (const std::exception& e) {
      deferred_.Reject(Napi::Error::New(env, e.what()).Value());
    }
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<void()> run_;
  ResultFn result_;
  std::vector<Napi::ObjectReference> refs_;  // pins inputs and outputs until done
};

Napi::Value queue(Napi::Env env, const char* name, std::function<void()> run, ResultFn result,
                  const std::vector<Napi::Value>& keep) {
  auto* w = new KernelWorker(env, name, std::move(run), std::move(result), keep);
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

// Runs a kernel on the JS thread, turning C++ exceptions into JS errors.
template <typename F>
void run_sync(Napi::Env env, const char* name, F&& f) {
  try {
    f();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string(name) + ": " + e.what());
  }
}

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

Napi::Value NormsL2Sqr(const Napi::CallbackInfo& info) {
  Args a{info, "normsL2Sqr", {}};
  NormsParams p = norms_params(a);
  run_sync(info.Env(), a.fn, [&] { norms_l2sqr(p.x, p.n, p.d, p.out); });
  return info.Env().Undefined();
}

Napi::Value NormsL2SqrAsync(const Napi::CallbackInfo& info) {
  Args a{info, "normsL2SqrAsync", {}};
  NormsParams p = norms_params(a);
  return queue(info.Env(), a.fn, [p] { norms_l2sqr(p.x, p.n, p.d, p.out); }, nullptr, a.keep);
}

PairwiseParams pairwise_params(Args& a) {
  PairwiseParams p{};
  p.nq = a.integer(2, "nq", 0);
  p.nb = a.integer(3, "nb", 0);
  p.d = a.integer(4, "d", 1);
  p.metric = metric_of(a, 5);
  p.xq = a.f32(0, "xq", a.product(p.nq, p.d, "nq * d"));
  p.xb = a.f32(1, "xb", a.product(p.nb, p.d, "nb * d"));
  p.out = a.f32(6, "out", a.product(p.nq, p.nb, "nq * nb"));
  return p;
}

Napi::Value Pairwise(const Napi::CallbackInfo& info) {
  Args a{info, "pairwise", {}};
  PairwiseParams p = pairwise_params(a);
  run_sync(info.Env(), a.fn, [&] { pairwise(p); });
  return info.Env().Undefined();
}

Napi::Value PairwiseAsync(const Napi::CallbackInfo& info) {
  Args a{info, "pairwiseAsync", {}};
  PairwiseParams p = pairwise_params(a);
  return queue(info.Env(), a.fn, [p] { pairwise(p); }, nullptr, a.keep);
}

KnnParams knn_params(Args& a) {
  KnnParams p{};
  p.nq = a.integer(2, "nq", 0);
  p.nb = a.integer(3, "nb", 0);
  p.d = a.integer(4, "d", 1);
  p.k = a.integer(5, "k", 1);
  p.metric = metric_of(a, 6);
  p.xq = a.f32(0, "xq", a.product(p.nq, p.d, "nq * d"));
  p.xb = a.f32(1, "xb", a.product(p.nb, p.d, "nb * d"));
  const int64_t out = a.product(p.nq, p.k, "nq * k");
  p.distances = a.f32(7, "distances", out);
  p.labels = a.i64(8, "labels", out);
  p.xb_norms = a.is_nullish(9) ? nullptr : a.f32(9, "xbNorms", p.nb);
  p.label_offset = a.is_nullish(10) ? 0 : a.integer(10, "labelOffset", -kMaxSafe);
  return p;
}

Napi::Value Knn(const Napi::CallbackInfo& info) {
  Args a{info, "knn", {}};
  KnnParams p = knn_params(a);
  run_sync(info.Env(), a.fn, [&] { knn(p); });
  return info.Env().Undefined();
}

Napi::Value KnnAsync(const Napi::CallbackInfo& info) {
  Args a{info, "knnAsync", {}};
  KnnParams p = knn_params(a);
  return queue(info.Env(), a.fn, [p] { knn(p); }, nullptr, a.keep);
}

RangeParams range_params(Args& a) {
  RangeParams p{};
  p.nq = a.integer(2, "nq", 0);
  p.nb = a.integer(3, "nb", 0);
  p.d = a.integer(4, "d", 1);
  const double radius = a.number(5, "radius");
  if (radius != radius) a.fail("expected a number (not NaN) for radius", true);
  p.radius = static_cast<float>(radius);
  p.metric = metric_of(a, 6);
  p.label_offset = a.is_nullish(7) ? 0 : a.integer(7, "labelOffset", -kMaxSafe);
  p.xq = a.f32(0, "xq", a.product(p.nq, p.d, "nq * d"));
  p.xb = a.f32(1, "xb", a.product(p.nb, p.d, "nb * d"));
  return p;
}

Napi::Value range_to_js(Napi::Env env, const RangeResult& r) {
  const size_t n = r.distances.size();
  auto lims = Napi::TypedArrayOf<int64_t>::New(env, r.lims.size());
  auto dist = Napi::Float32Array::New(env, n);
  auto labels = Napi::TypedArrayOf<int64_t>::New(env, n);
  if (!r.lims.empty()) std::memcpy(lims.Data(), r.lims.data(), r.lims.size() * sizeof(int64_t));
  if (n) {
    std::memcpy(dist.Data(), r.distances.data(), n * sizeof(float));
    std::memcpy(labels.Data(), r.labels.data(), n * sizeof(int64_t));
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("lims", lims);
  o.Set("distances", dist);
  o.Set("labels", labels);
  return o;
}

Napi::Value RangeSearch(const Napi::CallbackInfo& info) {
  Args a{info, "rangeSearch", {}};
  RangeParams p = range_params(a);
  RangeResult r;
  run_sync(info.Env(), a.fn, [&] { r = range_search(p); });
  return range_to_js(info.Env(), r);
}

Napi::Value RangeSearchAsync(const Napi::CallbackInfo& info) {
  Args a{info, "rangeSearchAsync", {}};
  RangeParams p = range_params(a);
  auto result = std::make_shared<RangeResult>();
  return queue(
      info.Env(), a.fn, [p, result] { *result = range_search(p); },
      [result](Napi::Env env) { return range_to_js(env, *result); }, a.keep);
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

Napi::Value Topk(const Napi::CallbackInfo& info) {
  Args a{info, "topk", {}};
  TopkParams p = topk_params(a);
  run_sync(info.Env(), a.fn, [&] { topk(p); });
  return info.Env().Undefined();
}

Napi::Value TopkAsync(const Napi::CallbackInfo& info) {
  Args a{info, "topkAsync", {}};
  TopkParams p = topk_params(a);
  return queue(info.Env(), a.fn, [p] { topk(p); }, nullptr, a.keep);
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
  exports.Set("version", Napi::String::New(env, MK_VERSION));
  exports.Set("info", Napi::Function::New(env, Info, "info"));
  exports.Set("setSimd", Napi::Function::New(env, SetSimd, "setSimd"));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads, "setNumThreads"));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads, "getNumThreads"));
  exports.Set("normsL2Sqr", Napi::Function::New(env, NormsL2Sqr, "normsL2Sqr"));
  exports.Set("normsL2SqrAsync", Napi::Function::New(env, NormsL2SqrAsync, "normsL2SqrAsync"));
  exports.Set("pairwise", Napi::Function::New(env, Pairwise, "pairwise"));
  exports.Set("pairwiseAsync", Napi::Function::New(env, PairwiseAsync, "pairwiseAsync"));
  exports.Set("knn", Napi::Function::New(env, Knn, "knn"));
  exports.Set("knnAsync", Napi::Function::New(env, KnnAsync, "knnAsync"));
  exports.Set("rangeSearch", Napi::Function::New(env, RangeSearch, "rangeSearch"));
  exports.Set("rangeSearchAsync", Napi::Function::New(env, RangeSearchAsync, "rangeSearchAsync"));
  exports.Set("topk", Napi::Function::New(env, Topk, "topk"));
  exports.Set("topkAsync", Napi::Function::New(env, TopkAsync, "topkAsync"));
}

}  // namespace mk
