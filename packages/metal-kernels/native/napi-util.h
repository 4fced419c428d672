// N-API helpers shared by every bindings file (bindings.cc, ivf-bindings.cc,
// hnsw-bindings.cc, kmeans-bindings.cc, pq-/sq-bindings.cc, dense/):
//   - Args: argument readers that throw "<fn>: expected X for Y[, received Z]"
//     as TypeError (wrong type) or RangeError (wrong value); the TypeScript
//     layer maps those onto MetalFaissError codes. Readers take either an
//     argument position or a value (an object property, a list entry).
//   - typed-array views with byte-length (or element-count) checks; every
//     view of an argument is remembered in Args::keep so an async call can
//     pin it,
//   - Worker/queue: Napi::AsyncWorker + Promise whose inputs and outputs stay
//     pinned (persistent references) until the promise settles; Execute()
//     touches no JS and turns C++ exceptions into rejections,
//   - run_sync: a kernel call on the JS thread, C++ exceptions -> JS errors,
//   - register_pair: a sync function and its Promise twin from one parser.
// The TypeScript layer validates first; these checks keep native code safe
// (never out of bounds, never aborting) from a caller that bypasses it.
#pragma once
#include <napi.h>

#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels.h"

namespace mk {
namespace napi_util {

constexpr int64_t kMaxSafe = 9007199254740991LL;  // 2^53 - 1

// The data pointer of a typed array (its byte offset included; works for
// ArrayBuffer and SharedArrayBuffer backing). Null for an empty or detached view.
inline uint8_t* typed_data(Napi::Value v) {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_status s = napi_get_typedarray_info(v.Env(), v, &type, &length, &data, nullptr, nullptr);
  if (s != napi_ok) throw Napi::Error::New(v.Env(), "cannot read a typed array");
  return static_cast<uint8_t*>(data);
}

struct Args {
  const Napi::CallbackInfo& info;
  const char* fn;
  std::vector<Napi::Value> keep;  // typed arrays (and arrays of them) to pin for async calls

  [[noreturn]] void fail(const std::string& msg, bool range = false) const {
    const std::string m = std::string(fn) + ": " + msg;
    if (range) throw Napi::RangeError::New(info.Env(), m);
    throw Napi::TypeError::New(info.Env(), m);
  }

  // Argument i, or undefined past the end.
  Napi::Value arg(size_t i) const { return i < info.Length() ? info[i] : info.Env().Undefined(); }
  bool is_nullish(size_t i) const { return i >= info.Length() || info[i].IsNull() || info[i].IsUndefined(); }

  // ---------------------------------------------------------------- scalars

  int64_t integer(Napi::Value v, const std::string& name, int64_t min, int64_t max = kMaxSafe) const {
    if (!v.IsNumber()) fail("expected a number for " + name);
    const double d = v.As<Napi::Number>().DoubleValue();
    // In range first, so the cast below is defined; NaN fails here too.
    if (!(d >= static_cast<double>(min) && d <= static_cast<double>(max)) ||
        d != static_cast<double>(static_cast<int64_t>(d)))
      fail("expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "] for " + name, true);
    return static_cast<int64_t>(d);
  }
  int64_t integer(size_t i, const char* name, int64_t min, int64_t max = kMaxSafe) const {
    return integer(arg(i), name, min, max);
  }

  // Any number, NaN included.
  double number(Napi::Value v, const std::string& name) const {
    if (!v.IsNumber()) fail("expected a number for " + name);
    return v.As<Napi::Number>().DoubleValue();
  }
  double number(size_t i, const char* name) const { return number(arg(i), name); }

  // A number that is not NaN (TypeError when not a number, RangeError for NaN).
  double number_not_nan(Napi::Value v, const std::string& name) const {
    const double d = number(v, name);
    if (d != d) fail("expected a number (not NaN) for " + name, true);
    return d;
  }
  double number_not_nan(size_t i, const char* name) const { return number_not_nan(arg(i), name); }

  // A metric argument: 0 (inner product) or 1 (L2).
  int metric(size_t i) const { return static_cast<int>(integer(i, "metric", 0, 1)); }

  bool boolean(Napi::Value v, const std::string& name) const {
    if (!v.IsBoolean()) fail("expected a boolean for " + name);
    return v.As<Napi::Boolean>().Value();
  }
  bool boolean(size_t i, const char* name) const { return boolean(arg(i), name); }

  // A plain object (not a typed array, not an array).
  Napi::Object object(Napi::Value v, const std::string& name) const {
    if (!v.IsObject() || v.IsTypedArray() || v.IsArray()) fail("expected an object for " + name);
    return v.As<Napi::Object>();
  }

  int64_t product(int64_t a, int64_t b, const std::string& what) const {
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r) || r > kMaxSafe) fail(what + " overflows", true);
    return r;
  }

  // ---------------------------------------------------------------- typed arrays, sized in bytes

  // The data of a typed array of the given type holding exactly `elements`
  // elements ("expected B bytes (E elements) for NAME, received R"); `elements`
  // < 0 accepts any length. *length (if given) gets the element count. Pinned
  // (kept for async calls) unless pin is false.
  template <typename T>
  T* view(Napi::Value v, const std::string& name, napi_typedarray_type type, const char* type_name,
          int64_t elements, bool pin = true, int64_t* length = nullptr) {
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
      fail(std::string("expected a ") + type_name + " for " + name);
    const size_t bytes = v.As<Napi::TypedArray>().ByteLength();
    if (elements >= 0 && bytes != static_cast<size_t>(elements) * sizeof(T))
      fail("expected " + std::to_string(static_cast<size_t>(elements) * sizeof(T)) + " bytes (" +
               std::to_string(elements) + " elements) for " + name + ", received " + std::to_string(bytes),
           true);
    if (length) *length = static_cast<int64_t>(bytes / sizeof(T));
    if (pin) keep.push_back(v);
    if (bytes == 0) return nullptr;
    uint8_t* data = typed_data(v);
    if (!data) fail("the buffer of " + name + " is detached");
    return reinterpret_cast<T*>(data);
  }

  // view() of argument i (pinned).
  template <typename T>
  T* array(size_t i, const char* name, napi_typedarray_type type, const char* type_name, int64_t elements,
           int64_t* length = nullptr) {
    if (i >= info.Length()) fail(std::string("expected a ") + type_name + " for " + name);
    return view<T>(info[i], name, type, type_name, elements, true, length);
  }

  float* f32(size_t i, const char* name, int64_t elements) {
    return array<float>(i, name, napi_float32_array, "Float32Array", elements);
  }
  double* f64(size_t i, const char* name, int64_t elements) {
    return array<double>(i, name, napi_float64_array, "Float64Array", elements);
  }
  int32_t* i32(size_t i, const char* name, int64_t elements) {
    return array<int32_t>(i, name, napi_int32_array, "Int32Array", elements);
  }
  int64_t* i64(size_t i, const char* name, int64_t elements) {
    return array<int64_t>(i, name, napi_bigint64_array, "BigInt64Array", elements);
  }
  uint8_t* u8(size_t i, const char* name, int64_t elements) {
    return array<uint8_t>(i, name, napi_uint8_array, "Uint8Array", elements);
  }
  uint16_t* u16(size_t i, const char* name, int64_t elements) {
    return array<uint16_t>(i, name, napi_uint16_array, "Uint16Array", elements);
  }

  // ---------------------------------------------------------------- typed arrays, sized in elements

  // The data of a typed array of the given type with exactly (exact) or at
  // least (!exact) `elements` elements ("expected [at least ]E elements for
  // NAME, received R"); *length gets the element count. Always pinned.
  template <typename T>
  T* counted(Napi::Value v, const std::string& name, napi_typedarray_type type, const char* type_name,
             int64_t elements, bool exact, int64_t* length = nullptr) {
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
      fail(std::string("expected a ") + type_name + " for " + name);
    const int64_t have = static_cast<int64_t>(v.As<Napi::TypedArray>().ElementLength());
    if (exact ? have != elements : have < elements)
      fail(std::string("expected ") + (exact ? "" : "at least ") + std::to_string(elements) + " elements for " +
               name + ", received " + std::to_string(have),
           true);
    if (length) *length = have;
    keep.push_back(v);
    if (have == 0) return nullptr;
    uint8_t* data = typed_data(v);
    if (!data) fail("the buffer of " + name + " is detached");
    return reinterpret_cast<T*>(data);
  }

  float* f32(Napi::Value v, const std::string& name, int64_t n, bool exact = true, int64_t* len = nullptr) {
    return counted<float>(v, name, napi_float32_array, "Float32Array", n, exact, len);
  }
  int32_t* i32(Napi::Value v, const std::string& name, int64_t n, bool exact = true, int64_t* len = nullptr) {
    return counted<int32_t>(v, name, napi_int32_array, "Int32Array", n, exact, len);
  }
  int64_t* i64(Napi::Value v, const std::string& name, int64_t n, bool exact = true, int64_t* len = nullptr) {
    return counted<int64_t>(v, name, napi_bigint64_array, "BigInt64Array", n, exact, len);
  }
  uint8_t* u8(Napi::Value v, const std::string& name, int64_t n, bool exact = true, int64_t* len = nullptr) {
    return counted<uint8_t>(v, name, napi_uint8_array, "Uint8Array", n, exact, len);
  }
};

// ------------------------------------------------------------------ async plumbing

using ResultFn = std::function<Napi::Value(Napi::Env)>;

class Worker : public Napi::AsyncWorker {
 public:
  Worker(Napi::Env env, const char* name, std::function<void()> run, ResultFn result,
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

// Runs `run` on libuv's pool; the promise resolves with result(env) (undefined
// when result is null) or rejects with the exception's message.
inline Napi::Value queue(Napi::Env env, const char* name, std::function<void()> run, ResultFn result,
                         const std::vector<Napi::Value>& keep) {
  auto* w = new Worker(env, name, std::move(run), std::move(result), keep);
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

// Runs a kernel on the JS thread, turning C++ exceptions into JS errors ("<name>: <what>").
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

// A range-search result as { lims: BigInt64Array, distances: D[], labels: BigInt64Array }.
template <typename D>
Napi::Value range_to_js(Napi::Env env, const std::vector<int64_t>& lims, const std::vector<D>& distances,
                        const std::vector<int64_t>& labels) {
  const size_t n = distances.size();
  auto jl = Napi::TypedArrayOf<int64_t>::New(env, lims.size());
  auto jd = Napi::TypedArrayOf<D>::New(env, n);
  auto ji = Napi::TypedArrayOf<int64_t>::New(env, n);
  if (!lims.empty()) std::memcpy(jl.Data(), lims.data(), lims.size() * sizeof(int64_t));
  if (n) {
    std::memcpy(jd.Data(), distances.data(), n * sizeof(D));
    std::memcpy(ji.Data(), labels.data(), n * sizeof(int64_t));
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("lims", jl);
  o.Set("distances", jd);
  o.Set("labels", ji);
  return o;
}

inline Napi::Value range_to_js(Napi::Env env, const RangeResult& r) {
  return range_to_js(env, r.lims, r.distances, r.labels);
}

// ------------------------------------------------------------------ jobs and registration

// Base of jobs whose result is undefined (the kernel writes into pinned outputs).
struct NoResult {
  Napi::Value result(Napi::Env env) const { return env.Undefined(); }
};

// A job that runs fn() and resolves to undefined.
template <typename Run>
struct VoidJob : NoResult {
  Run fn;
  void run() const { fn(); }
};
template <typename Run>
VoidJob<Run> void_job(Run fn) {
  return VoidJob<Run>{{}, std::move(fn)};
}

// A job whose kernel returns a value (kept until the promise settles) that
// to_js(env, value) turns into the JS result.
template <typename Out, typename Run, typename ToJs>
struct OutJob {
  Run fn;
  ToJs to_js;
  std::shared_ptr<Out> out = std::make_shared<Out>();
  void run() const { *out = fn(); }
  Napi::Value result(Napi::Env env) const { return to_js(env, *out); }
};
template <typename Run, typename ToJs>
OutJob<std::decay_t<decltype(std::declval<const Run&>()())>, Run, ToJs> out_job(Run fn, ToJs to_js) {
  return {std::move(fn), std::move(to_js)};
}

// A job whose kernel returns a RangeResult, handed to JS as { lims, distances, labels }.
template <typename Run>
auto range_job(Run fn) {
  return out_job(std::move(fn), [](Napi::Env env, const RangeResult& r) { return range_to_js(env, r); });
}

inline void set_function(Napi::Env env, Napi::Object exports, const char* name, Napi::Function::Callback cb) {
  exports.Set(name, Napi::Function::New(env, cb, name));
}

// A sync function and its Promise twin built from one argument parser:
// parse(Args&) returns a job (run(), result(env)); the sync form runs it on
// the JS thread, the async form on libuv's pool with a.keep pinned.
template <typename Parse>
void register_pair(Napi::Env env, Napi::Object exports, const char* name, const char* async_name, Parse parse) {
  exports.Set(name, Napi::Function::New(
                        env,
                        [parse, name](const Napi::CallbackInfo& info) -> Napi::Value {
                          Args a{info, name, {}};
                          auto job = parse(a);
                          run_sync(info.Env(), name, [&] { job.run(); });
                          return job.result(info.Env());
                        },
                        name));
  exports.Set(async_name, Napi::Function::New(
                              env,
                              [parse, async_name](const Napi::CallbackInfo& info) -> Napi::Value {
                                Args a{info, async_name, {}};
                                auto job = std::make_shared<decltype(parse(a))>(parse(a));
                                return queue(
                                    info.Env(), async_name, [job] { job->run(); },
                                    [job](Napi::Env e) { return job->result(e); }, a.keep);
                              },
                              async_name));
}

}  // namespace napi_util
}  // namespace mk
