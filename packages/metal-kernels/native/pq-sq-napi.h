// N-API helpers of the quantizer bindings (pq-bindings.cc, sq-bindings.cc):
// argument checks with byte lengths, typed-array access, and the
// AsyncWorker + Promise plumbing (inputs and outputs pinned until done).
// The TypeScript layer validates first; these checks only keep native code
// safe from a caller that bypasses it.
#pragma once
#include <napi.h>

#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kernels.h"

namespace mk {
namespace napi_util {

constexpr int64_t kMaxSafe = 9007199254740991LL;  // 2^53 - 1

struct Args {
  const Napi::CallbackInfo& info;
  const char* fn;
  std::vector<Napi::Value> keep;  // typed arrays (and arrays of them) to pin for async calls

  [[noreturn]] void fail(const std::string& msg, bool range = false) const {
    std::string m = std::string(fn) + ": " + msg;
    if (range) throw Napi::RangeError::New(info.Env(), m);
    throw Napi::TypeError::New(info.Env(), m);
  }

  int64_t integer(size_t i, const char* name, int64_t min, int64_t max = kMaxSafe) const {
    if (i >= info.Length() || !info[i].IsNumber()) fail(std::string("expected a number for ") + name);
    const double v = info[i].As<Napi::Number>().DoubleValue();
    if (!(v >= static_cast<double>(min) && v <= static_cast<double>(max)) ||
        v != static_cast<double>(static_cast<int64_t>(v)))
      fail(std::string("expected an integer in [") + std::to_string(min) + ", " + std::to_string(max) + "] for " + name,
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

  bool is_nullish(size_t i) const { return i >= info.Length() || info[i].IsNull() || info[i].IsUndefined(); }

  template <typename T>
  T* view(Napi::Value v, const std::string& name, napi_typedarray_type type, const char* type_name,
          int64_t elements, bool pin = true) {
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
      fail(std::string("expected a ") + type_name + " for " + name);
    auto arr = v.As<Napi::TypedArray>();
    const size_t want = static_cast<size_t>(elements) * sizeof(T);
    if (elements >= 0 && arr.ByteLength() != want)
      fail("expected " + std::to_string(want) + " bytes (" + std::to_string(elements) + " elements) for " + name +
               ", received " + std::to_string(arr.ByteLength()),
           true);
    if (pin) keep.push_back(v);
    if (arr.ByteLength() == 0) return nullptr;
    auto* base = static_cast<uint8_t*>(arr.ArrayBuffer().Data());
    if (!base) fail("the buffer of " + name + " is detached");
    return reinterpret_cast<T*>(base + arr.ByteOffset());
  }

  template <typename T>
  T* array(size_t i, const char* name, napi_typedarray_type type, const char* type_name, int64_t elements) {
    if (i >= info.Length()) fail(std::string("expected a ") + type_name + " for " + name);
    return view<T>(info[i], name, type, type_name, elements);
  }

  float* f32(size_t i, const char* name, int64_t elements) {
    return array<float>(i, name, napi_float32_array, "Float32Array", elements);
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

  int64_t product(int64_t a, int64_t b, const char* what) const {
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r) || r > kMaxSafe) fail(std::string(what) + " overflows", true);
    return r;
  }
};

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
  std::vector<Napi::ObjectReference> refs_;
};

inline Napi::Value queue(Napi::Env env, const char* name, std::function<void()> run, ResultFn result,
                         const std::vector<Napi::Value>& keep) {
  auto* w = new Worker(env, name, std::move(run), std::move(result), keep);
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

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

inline Napi::Value range_to_js(Napi::Env env, const RangeResult& r) {
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

// A sync function and its Promise twin built from one argument parser:
// parse(Args&) returns a callable that runs the kernel (off-thread for async).
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

// Views of the inverted lists a call touches (those named in `coarse`), in
// the layout of an InvertedListsSnapshot: codes[l] (Uint8Array whose first
// sizes[l] * code_size bytes are the codes), ids[l] (BigInt64Array whose first
// sizes[l] entries are the ids), sizes (Int32Array, one per list), and
// optional masks[l] (Uint8Array of at least sizes[l] bytes; 0 = skip entry).
// Lists no query probes are never read.
struct ListViews {
  std::vector<const uint8_t*> codes;
  std::vector<const int64_t*> ids;
  std::vector<int64_t> sizes;
  std::vector<const uint8_t*> masks;
  bool has_masks = false;
  int64_t nlist = 0;
};

inline ListViews list_views(Args& a, size_t i_codes, size_t i_ids, size_t i_sizes, size_t i_masks,
                            const int64_t* coarse, int64_t n_coarse, int64_t code_size) {
  ListViews v;
  if (i_sizes >= a.info.Length() || !a.info[i_sizes].IsTypedArray() ||
      a.info[i_sizes].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    a.fail("expected an Int32Array for list sizes");
  v.nlist = static_cast<int64_t>(a.info[i_sizes].As<Napi::TypedArray>().ElementLength());
  const int32_t* sizes = a.view<int32_t>(a.info[i_sizes], "sizes", napi_int32_array, "Int32Array", v.nlist);
  if (i_codes >= a.info.Length() || !a.info[i_codes].IsArray()) a.fail("expected an Array of Uint8Array for list codes");
  if (i_ids >= a.info.Length() || !a.info[i_ids].IsArray()) a.fail("expected an Array of BigInt64Array for list ids");
  Napi::Array codes = a.info[i_codes].As<Napi::Array>();
  Napi::Array ids = a.info[i_ids].As<Napi::Array>();
  if (static_cast<int64_t>(codes.Length()) != v.nlist || static_cast<int64_t>(ids.Length()) != v.nlist)
    a.fail("expected one codes and one ids array per list (" + std::to_string(v.nlist) + ")", true);
  v.has_masks = !a.is_nullish(i_masks);
  Napi::Array masks;
  if (v.has_masks) {
    if (!a.info[i_masks].IsArray()) a.fail("expected an Array (or null) for list masks");
    masks = a.info[i_masks].As<Napi::Array>();
    if (static_cast<int64_t>(masks.Length()) != v.nlist) a.fail("expected one mask per list", true);
  }
  v.codes.assign(v.nlist, nullptr);
  v.ids.assign(v.nlist, nullptr);
  v.sizes.assign(v.nlist, -1);
  v.masks.assign(v.nlist, nullptr);
  auto at_least = [&](Napi::Value x, napi_typedarray_type type, const char* type_name, size_t elem, int64_t n,
                      const std::string& name) -> const uint8_t* {
    if (!x.IsTypedArray() || x.As<Napi::TypedArray>().TypedArrayType() != type)
      a.fail(std::string("expected a ") + type_name + " for " + name);
    auto arr = x.As<Napi::TypedArray>();
    if (arr.ByteLength() < static_cast<size_t>(n) * elem)
      a.fail("expected at least " + std::to_string(n * elem) + " bytes for " + name + ", received " +
                 std::to_string(arr.ByteLength()),
             true);
    a.keep.push_back(x);
    if (arr.ByteLength() == 0) return nullptr;
    auto* base = static_cast<uint8_t*>(arr.ArrayBuffer().Data());
    if (!base) a.fail("the buffer of " + name + " is detached");
    return base + arr.ByteOffset();
  };
  for (int64_t i = 0; i < n_coarse; i++) {
    const int64_t l = coarse[i];
    if (l < -1 || l >= v.nlist) a.fail("expected list numbers in [-1, " + std::to_string(v.nlist) + ") in coarse", true);
    if (l < 0 || v.sizes[l] >= 0) continue;
    const int64_t n = sizes[l];
    if (n < 0) a.fail("expected list sizes >= 0", true);
    const std::string at = "[" + std::to_string(l) + "]";
    v.ids[l] = reinterpret_cast<const int64_t*>(
        at_least(ids.Get(static_cast<uint32_t>(l)), napi_bigint64_array, "BigInt64Array", 8, n, "ids" + at));
    v.codes[l] = at_least(codes.Get(static_cast<uint32_t>(l)), napi_uint8_array, "Uint8Array", 1,
                          a.product(n, code_size, "list size * code size"), "codes" + at);
    if (v.has_masks) {
      Napi::Value mv = masks.Get(static_cast<uint32_t>(l));
      if (!mv.IsNull() && !mv.IsUndefined()) v.masks[l] = at_least(mv, napi_uint8_array, "Uint8Array", 1, n, "masks" + at);
    }
    v.sizes[l] = n;
  }
  for (auto& s : v.sizes)
    if (s < 0) s = 0;
  return v;
}

}  // namespace napi_util
}  // namespace mk
